//! Passwords, client secrets and application API keys hashed the way Elsa's
//! `DefaultSecretHasher` does, so hashes written by Elsa verify here and ours verify there.
//!
//! A crate of its own so that it can be compiled optimised in dev builds (see the workspace
//! `Cargo.toml`): the PBKDF2 loop is generic and is compiled where it is instantiated, and
//! unoptimised it makes one 600,000-round hash take seconds instead of tens of milliseconds.
//!
//! Stored form: `secret` = base64 of the ASCII envelope `pbkdf2-sha256$<iterations>$<base64 key>`
//! (PBKDF2-HMAC-SHA256, 32-byte key), `salt` = base64 of 32 random bytes. Elsa still accepts the
//! legacy form, `secret` = base64 of SHA-256(secret ‖ salt), and so do we.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

const ALGORITHM: &str = "pbkdf2-sha256";
/// Elsa's default; hashing cost is ~75 ms in release, so callers run it off the async threads.
pub const DEFAULT_ITERATIONS: u32 = 600_000;
/// Envelopes asking for more are rejected (Elsa: four times the default), so a stored row
/// cannot make one verification arbitrarily expensive.
const MAX_ITERATIONS: u32 = DEFAULT_ITERATIONS * 4;
const KEY_SIZE: usize = 32;
const SALT_SIZE: usize = 32;

/// A hashed secret in Elsa's stored (base64) form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HashedSecret {
    pub secret: String,
    pub salt: String,
}

/// Hashes `secret` with a fresh random salt.
pub fn hash(secret: &str) -> HashedSecret {
    let mut salt = [0u8; SALT_SIZE];
    getrandom::fill(&mut salt).expect("the operating system's random generator is unavailable");
    hash_with_salt(secret, &salt, DEFAULT_ITERATIONS)
}

/// Hashes with a given salt and iteration count (tests use small counts).
pub fn hash_with_salt(secret: &str, salt: &[u8], iterations: u32) -> HashedSecret {
    let key = derive(secret.as_bytes(), salt, iterations);
    let envelope = format!("{ALGORITHM}${iterations}${}", BASE64.encode(key));
    HashedSecret {
        secret: BASE64.encode(envelope),
        salt: BASE64.encode(salt),
    }
}

fn derive(secret: &[u8], salt: &[u8], iterations: u32) -> [u8; KEY_SIZE] {
    pbkdf2::pbkdf2_hmac_array::<Sha256, KEY_SIZE>(secret, salt, iterations)
}

/// True if `clear` is the secret that was hashed into `stored`. Malformed stored values never
/// match. Comparison is constant-time.
pub fn verify(clear: &str, stored: &HashedSecret) -> bool {
    let (Ok(secret), Ok(salt)) = (BASE64.decode(&stored.secret), BASE64.decode(&stored.salt))
    else {
        return false;
    };
    if let Some((iterations, expected)) = read_envelope(&secret) {
        let provided = derive(clear.as_bytes(), &salt, iterations);
        return provided.ct_eq(&expected).into();
    }
    let legacy = Sha256::new()
        .chain_update(clear.as_bytes())
        .chain_update(&salt)
        .finalize();
    secret.len() == legacy.len() && bool::from(legacy.as_slice().ct_eq(&secret))
}

/// `pbkdf2-sha256$<iterations>$<base64 32-byte key>`, or None for anything else.
fn read_envelope(bytes: &[u8]) -> Option<(u32, [u8; KEY_SIZE])> {
    let text = std::str::from_utf8(bytes).ok()?;
    let mut parts = text.splitn(3, '$');
    if parts.next()? != ALGORITHM {
        return None;
    }
    let iterations: u32 = parts.next()?.parse().ok()?;
    if iterations == 0 || iterations > MAX_ITERATIONS {
        return None;
    }
    let key = BASE64.decode(parts.next()?).ok()?;
    key.try_into().ok().map(|key| (iterations, key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pbkdf2_matches_the_rfc_7914_vector() {
        let key = derive(b"password", b"salt", 1);
        assert_eq!(
            hex::encode(key),
            "120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b"
        );
    }

    #[test]
    fn round_trip_and_wrong_secret() {
        let stored = hash_with_salt("s3cret", b"0123456789abcdef0123456789abcdef", 1000);
        assert!(verify("s3cret", &stored));
        assert!(!verify("s3cret ", &stored));
        let envelope = String::from_utf8(BASE64.decode(&stored.secret).unwrap()).unwrap();
        assert!(envelope.starts_with("pbkdf2-sha256$1000$"), "{envelope}");
    }

    #[test]
    fn legacy_sha256_hashes_verify() {
        let salt = b"legacy-salt";
        let digest = Sha256::new()
            .chain_update(b"password")
            .chain_update(salt)
            .finalize();
        let stored = HashedSecret {
            secret: BASE64.encode(digest),
            salt: BASE64.encode(salt),
        };
        assert!(verify("password", &stored));
        assert!(!verify("Password", &stored));
    }

    #[test]
    fn malformed_or_too_costly_envelopes_never_match() {
        let salt = BASE64.encode(b"salt");
        for envelope in [
            "pbkdf2-sha256$2400001$AAAA".to_owned(),
            "pbkdf2-sha256$0$AAAA".to_owned(),
            "pbkdf2-sha512$1000$AAAA".to_owned(),
            "not base64 at all!".to_owned(),
        ] {
            let stored = HashedSecret {
                secret: BASE64.encode(&envelope),
                salt: salt.clone(),
            };
            assert!(!verify("password", &stored), "{envelope}");
        }
        let garbage = HashedSecret {
            secret: "%%%".into(),
            salt,
        };
        assert!(!verify("password", &garbage));
    }
}
