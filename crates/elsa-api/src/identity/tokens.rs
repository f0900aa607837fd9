//! HS256 JWTs as Elsa issues them: `name`, `sub`, one `role` claim per role name and one
//! `permissions` claim per permission (a single value is written as a string, several as an
//! array, like .NET's token handler), `token_use` = `access` | `refresh`, `iss`, `aud`, `exp`.
//! Elsa validates a token's lifetime without clock skew; so do we.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Signing key, issuer, audience and lifetimes (`Elsa:Identity:Tokens:*`).
#[derive(Clone)]
pub struct TokenOptions {
    pub signing_key: Vec<u8>,
    pub issuer: String,
    pub audience: String,
    pub access_token_lifetime: Duration,
    pub refresh_token_lifetime: Duration,
}

/// What a token is for; API routes accept only access tokens, the refresh route only refresh
/// tokens, so a stolen long-lived refresh token cannot call the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenUse {
    Access,
    Refresh,
}

impl TokenUse {
    fn as_str(self) -> &'static str {
        match self {
            Self::Access => "access",
            Self::Refresh => "refresh",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub name: String,
    #[serde(default, with = "one_or_many", skip_serializing_if = "Vec::is_empty")]
    pub role: Vec<String>,
    #[serde(default, with = "one_or_many", skip_serializing_if = "Vec::is_empty")]
    pub permissions: Vec<String>,
    pub token_use: String,
    pub iss: String,
    pub aud: String,
    pub iat: u64,
    pub nbf: u64,
    pub exp: u64,
}

/// The subject of a token pair.
pub struct Subject<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub roles: Vec<String>,
    pub permissions: Vec<String>,
}

pub struct Tokens {
    options: TokenOptions,
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl Tokens {
    pub fn new(options: TokenOptions) -> Self {
        Self {
            encoding: EncodingKey::from_secret(&options.signing_key),
            decoding: DecodingKey::from_secret(&options.signing_key),
            options,
        }
    }

    /// An access token and a refresh token for `subject`.
    pub fn issue(&self, subject: &Subject) -> (String, String) {
        (
            self.token(subject, TokenUse::Access),
            self.token(subject, TokenUse::Refresh),
        )
    }

    fn token(&self, subject: &Subject, token_use: TokenUse) -> String {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        let lifetime = match token_use {
            TokenUse::Access => self.options.access_token_lifetime,
            TokenUse::Refresh => self.options.refresh_token_lifetime,
        };
        let claims = Claims {
            sub: subject.id.to_owned(),
            name: subject.name.to_owned(),
            role: subject.roles.clone(),
            permissions: subject.permissions.clone(),
            token_use: token_use.as_str().to_owned(),
            iss: self.options.issuer.clone(),
            aud: self.options.audience.clone(),
            iat: now,
            nbf: now,
            exp: now + lifetime.as_secs(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .expect("HS256 signing of serialisable claims cannot fail")
    }

    /// The claims of a valid, unexpired token of the given use; otherwise why not, in words
    /// safe to show the client (never the token).
    pub fn validate(&self, token: &str, token_use: TokenUse) -> Result<Claims, String> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.set_issuer(&[&self.options.issuer]);
        validation.set_audience(&[&self.options.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        let claims = jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation)
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => {
                    "the token has expired".to_owned()
                }
                _ => format!("the token is not valid ({e})"),
            })?
            .claims;
        if claims.token_use != token_use.as_str() {
            return Err(format!(
                "the token is not a valid {} token",
                token_use.as_str()
            ));
        }
        Ok(claims)
    }
}

/// A claim that .NET writes as a string when it occurs once and as an array otherwise.
mod one_or_many {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(values: &[String], s: S) -> Result<S::Ok, S::Error> {
        match values {
            [one] => one.serialize(s),
            many => many.serialize(s),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum OneOrMany {
            One(String),
            Many(Vec<String>),
        }
        Ok(match OneOrMany::deserialize(d)? {
            OneOrMany::One(one) => vec![one],
            OneOrMany::Many(many) => many,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(lifetime: Duration) -> Tokens {
        Tokens::new(TokenOptions {
            signing_key: b"a-test-signing-key-that-is-long-enough".to_vec(),
            issuer: "http://elsa.api".into(),
            audience: "http://elsa.api".into(),
            access_token_lifetime: lifetime,
            refresh_token_lifetime: lifetime * 2,
        })
    }

    fn subject() -> Subject<'static> {
        Subject {
            id: "u1",
            name: "admin",
            roles: vec!["admin".into()],
            permissions: vec!["*".into()],
        }
    }

    #[test]
    fn access_and_refresh_tokens_are_not_interchangeable() {
        let t = tokens(Duration::from_secs(3600));
        let (access, refresh) = t.issue(&subject());
        let claims = t.validate(&access, TokenUse::Access).unwrap();
        assert_eq!(claims.permissions, ["*"]);
        assert_eq!(claims.name, "admin");
        assert!(t.validate(&refresh, TokenUse::Refresh).is_ok());
        assert!(t.validate(&refresh, TokenUse::Access).is_err());
        assert!(t.validate(&access, TokenUse::Refresh).is_err());
    }

    #[test]
    fn single_permission_is_a_string_claim() {
        let t = tokens(Duration::from_secs(60));
        let (access, _) = t.issue(&subject());
        let payload = access.split('.').nth(1).unwrap();
        use base64::Engine;
        let json: serde_json::Value = serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(payload)
                .unwrap(),
        )
        .unwrap();
        assert_eq!(json["permissions"], "*");
        assert_eq!(json["token_use"], "access");
        assert_eq!(json["iss"], "http://elsa.api");
    }

    #[test]
    fn other_keys_and_expired_tokens_are_rejected() {
        let t = tokens(Duration::from_secs(60));
        let (access, _) = t.issue(&subject());
        let other = Tokens::new(TokenOptions {
            signing_key: b"another-key-another-key-another-key".to_vec(),
            ..t.options.clone()
        });
        assert!(other.validate(&access, TokenUse::Access).is_err());
        let expired = tokens(Duration::ZERO);
        let (access, _) = expired.issue(&subject());
        std::thread::sleep(Duration::from_millis(1100));
        assert_eq!(
            expired.validate(&access, TokenUse::Access).unwrap_err(),
            "the token has expired"
        );
    }
}
