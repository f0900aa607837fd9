//! Random ids, secrets and API keys from the operating system's CSPRNG, in Elsa's shapes.

/// Random bytes. The OS generator failing is not recoverable for a server that must mint
/// secrets, and it does not fail on the platforms we run on.
pub fn bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).expect("the operating system's random generator is unavailable");
    buf
}

/// Elsa's default identity: a random 64-bit integer as lowercase hex.
pub fn id() -> String {
    format!("{:x}", u64::from_le_bytes(bytes()))
}

/// Letters, digits and symbols, as Elsa's `DefaultSecretGenerator` uses for generated passwords
/// and client secrets.
const SECRET_ALPHABET: &[u8] =
    b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!@#$%^&*()_-+=";

/// A secret of `len` characters from [`SECRET_ALPHABET`], without modulo bias.
pub fn secret(len: usize) -> String {
    let limit = 256 - 256 % SECRET_ALPHABET.len();
    let mut out = String::with_capacity(len);
    while out.len() < len {
        for b in bytes::<64>() {
            if (b as usize) < limit && out.len() < len {
                out.push(SECRET_ALPHABET[b as usize % SECRET_ALPHABET.len()] as char);
            }
        }
    }
    out
}

/// An application API key as Elsa's `DefaultApiKeyGeneratorAndParser` makes it:
/// upper-case hex of the client id's UTF-8, a dash, then a random GUID.
pub fn api_key(client_id: &str) -> String {
    let guid = uuid::Builder::from_random_bytes(bytes()).into_uuid();
    format!(
        "{}-{}",
        hex::encode_upper(client_id.as_bytes()),
        guid.hyphenated()
    )
}

/// The client id an application API key names (the inverse of [`api_key`]).
pub fn client_id_of(api_key: &str) -> Option<String> {
    let (hex_id, _) = api_key.split_once('-')?;
    String::from_utf8(hex::decode(hex_id).ok()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_keys_carry_their_client_id() {
        let key = api_key("my-client");
        assert!(key.starts_with("6D792D636C69656E74-"), "{key}");
        assert_eq!(client_id_of(&key).as_deref(), Some("my-client"));
        assert_eq!(client_id_of("no dash"), None);
        assert_eq!(client_id_of("zz-1"), None);
    }

    #[test]
    fn secrets_use_the_alphabet() {
        let s = secret(32);
        assert_eq!(s.len(), 32);
        assert!(s.bytes().all(|b| SECRET_ALPHABET.contains(&b)));
        assert_ne!(secret(32), s);
    }
}
