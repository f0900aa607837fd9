//! `Elsa:Identity:*`: whether the API requires credentials, how JWTs are signed and how long they
//! live, and the admin user made at first start. Also the reasons a Production start is refused.

use std::time::Duration;

use elsa_store::connection_string;

use super::error::ConfigError;
use super::settings::{Secret, Setting};
use super::sources::Configuration;
use super::values::{lifetime, text, typed};

pub const SIGNING_KEY: &str = "Elsa:Identity:Tokens:SigningKey";
pub const ADMIN_PASSWORD: &str = "Elsa:Identity:AdminPassword";

/// Defaults, added to the configuration so `config check` shows where each value came from.
pub(super) const DEFAULTS: [(&str, &str); 6] = [
    ("Elsa:Identity:Enabled", "true"),
    ("Elsa:Identity:Tokens:Issuer", "http://elsa.api"),
    ("Elsa:Identity:Tokens:Audience", "http://elsa.api"),
    ("Elsa:Identity:Tokens:AccessTokenLifetime", "01:00:00"),
    ("Elsa:Identity:Tokens:RefreshTokenLifetime", "02:00:00"),
    ("Elsa:Identity:AdminUser", "admin"),
];

/// Keys published in Elsa's docs and samples, or other obvious placeholders: a server signing
/// with one of these accepts tokens anyone can forge.
const WELL_KNOWN_SIGNING_KEYS: [&str; 5] = [
    "sufficiently-large-secret-signing-key",
    "secret-signing-key",
    "signing-key",
    "change-me",
    "changeme",
];
/// HS256 keys shorter than the hash output (32 bytes) weaken the signature.
const MIN_SIGNING_KEY_BYTES: usize = 32;
/// The admin password of Elsa's docs and docker images.
const WELL_KNOWN_PASSWORDS: [&str; 2] = ["password", "admin"];

#[derive(Debug, Clone)]
pub struct IdentitySettings {
    pub enabled: Setting<bool>,
    pub signing_key: Option<Secret>,
    pub issuer: Setting<String>,
    pub audience: Setting<String>,
    pub access_token_lifetime: Setting<Duration>,
    pub refresh_token_lifetime: Setting<Duration>,
    pub admin_user: Setting<String>,
    pub admin_password: Option<Secret>,
}

pub(super) fn resolve(config: &Configuration) -> Result<IdentitySettings, ConfigError> {
    Ok(IdentitySettings {
        enabled: typed(config, "Elsa:Identity:Enabled", true, |entry| {
            connection_string::parse_bool(&entry.value).ok_or_else(|| ConfigError::InvalidBool {
                key: entry.key.clone(),
                value: entry.value.clone(),
                from: entry.source.clone(),
            })
        })?,
        signing_key: config.get(SIGNING_KEY).map(Secret::new),
        issuer: text(config, "Elsa:Identity:Tokens:Issuer", "http://elsa.api"),
        audience: text(config, "Elsa:Identity:Tokens:Audience", "http://elsa.api"),
        access_token_lifetime: lifetime(
            config,
            "Elsa:Identity:Tokens:AccessTokenLifetime",
            Duration::from_secs(3600),
        )?,
        refresh_token_lifetime: lifetime(
            config,
            "Elsa:Identity:Tokens:RefreshTokenLifetime",
            Duration::from_secs(7200),
        )?,
        admin_user: text(config, "Elsa:Identity:AdminUser", "admin"),
        admin_password: config.get(ADMIN_PASSWORD).map(Secret::new),
    })
}

impl IdentitySettings {
    /// Why a Production server must not start with these settings, one line each, naming the
    /// key and the fix (never the secret).
    pub fn production_refusals(&self) -> Vec<String> {
        let mut reasons = Vec::new();
        match &self.signing_key {
            None => reasons.push(format!(
                "{SIGNING_KEY} is not set: tokens would be signed with a key that changes at every start and differs between nodes; set Elsa__Identity__Tokens__SigningKey to a random secret of at least {MIN_SIGNING_KEY_BYTES} characters (e.g. from a Kubernetes Secret; `openssl rand -base64 48`)"
            )),
            Some(key) if is_well_known_key(key.expose()) => reasons.push(format!(
                "{SIGNING_KEY} is a well-known example value: anyone could forge tokens; set Elsa__Identity__Tokens__SigningKey to a random secret (e.g. `openssl rand -base64 48`)"
            )),
            Some(key) if key.expose().len() < MIN_SIGNING_KEY_BYTES => reasons.push(format!(
                "{SIGNING_KEY} is shorter than {MIN_SIGNING_KEY_BYTES} characters; set Elsa__Identity__Tokens__SigningKey to a longer random secret (e.g. `openssl rand -base64 48`)"
            )),
            Some(_) => {}
        }
        if let Some(password) = &self.admin_password
            && WELL_KNOWN_PASSWORDS.contains(&password.expose().trim())
        {
            reasons.push(format!(
                "{ADMIN_PASSWORD} is a well-known default password; set Elsa__Identity__AdminPassword to a strong secret, or leave it unset to have one generated and shown once at first start"
            ));
        }
        reasons
    }
}

fn is_well_known_key(key: &str) -> bool {
    let key = key.trim();
    WELL_KNOWN_SIGNING_KEYS
        .iter()
        .any(|k| k.eq_ignore_ascii_case(key))
}
