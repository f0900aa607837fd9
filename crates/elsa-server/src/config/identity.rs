//! `Elsa:Identity:*`: whether the API requires credentials, how JWTs are signed and how long they
//! live, the admin user made at first start, and how many failed authentications lock a client
//! out. Also the reasons a Production start is refused.

use std::time::Duration;

use super::error::ConfigError;
use super::keys::{self, ADMIN_PASSWORD, API_KEY, SIGNING_KEY};
use super::settings::{Secret, Setting};
use super::sources::Configuration;
use super::values::{boolean, count, lifetime, text};

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
/// The most common passwords (and Elsa's documented ones), one a line, lowercase.
const COMMON_PASSWORDS: &str = include_str!("common-passwords.txt");
/// Shorter admin passwords fall to an offline guess of the hash, or an online one over time.
const MIN_ADMIN_PASSWORD_CHARS: usize = 12;
/// A configured API key grants `*`: as long as a signing key, so it cannot be guessed.
const MIN_API_KEY_CHARS: usize = 32;

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
    /// `Elsa:Identity:Lockout:*`: failures per client address and per user name within the
    /// window after which further attempts are answered 429 until the window ends.
    pub lockout_per_address: Setting<usize>,
    pub lockout_per_user: Setting<usize>,
    pub lockout_window: Setting<Duration>,
}

pub(super) fn resolve(config: &Configuration) -> Result<IdentitySettings, ConfigError> {
    Ok(IdentitySettings {
        enabled: boolean(config, &keys::IDENTITY_ENABLED)?,
        signing_key: config.get(&SIGNING_KEY).map(Secret::new),
        issuer: text(config, &keys::ISSUER),
        audience: text(config, &keys::AUDIENCE),
        access_token_lifetime: lifetime(config, &keys::ACCESS_TOKEN_LIFETIME)?,
        refresh_token_lifetime: lifetime(config, &keys::REFRESH_TOKEN_LIFETIME)?,
        admin_user: text(config, &keys::ADMIN_USER),
        admin_password: config.get(&ADMIN_PASSWORD).map(Secret::new),
        lockout_per_address: count(config, &keys::LOCKOUT_PER_ADDRESS)?,
        lockout_per_user: count(config, &keys::LOCKOUT_PER_USER)?,
        lockout_window: lifetime(config, &keys::LOCKOUT_WINDOW)?,
    })
}

impl IdentitySettings {
    /// Why a Production server must not start with these settings, one line each, naming the
    /// key and the fix (never the secret).
    pub fn production_refusals(&self) -> Vec<String> {
        let mut reasons = Vec::new();
        // No key is fine: the nodes share one generated and stored in the database.
        match &self.signing_key {
            Some(key) if is_well_known_key(key.expose()) => reasons.push(format!(
                "{} is a well-known example value: anyone could forge tokens; set Elsa__Identity__Tokens__SigningKey to a random secret (e.g. `openssl rand -base64 48`), or leave it unset to have one generated and stored in the database",
                SIGNING_KEY.path()
            )),
            Some(key) if key.expose().len() < MIN_SIGNING_KEY_BYTES => reasons.push(format!(
                "{} is shorter than {MIN_SIGNING_KEY_BYTES} characters; set Elsa__Identity__Tokens__SigningKey to a longer random secret (e.g. `openssl rand -base64 48`), or leave it unset to have one generated and stored in the database",
                SIGNING_KEY.path()
            )),
            _ => {}
        }
        if let Some(password) = &self.admin_password {
            let password = password.expose().trim();
            if is_common_password(password) {
                reasons.push(format!(
                    "{} is a well-known default password or one of the most common passwords (compared ignoring case and trailing digits or symbols): it is among the first guesses; set Elsa__Identity__AdminPassword to a random secret of at least {MIN_ADMIN_PASSWORD_CHARS} characters (e.g. `openssl rand -base64 24`), or leave it unset to have one generated and shown once at first start",
                    ADMIN_PASSWORD.path()
                ));
            } else if password.chars().count() < MIN_ADMIN_PASSWORD_CHARS {
                reasons.push(format!(
                    "{} is shorter than {MIN_ADMIN_PASSWORD_CHARS} characters; set Elsa__Identity__AdminPassword to a random secret of at least {MIN_ADMIN_PASSWORD_CHARS} characters (e.g. `openssl rand -base64 24`), or leave it unset to have one generated and shown once at first start",
                    ADMIN_PASSWORD.path()
                ));
            }
        }
        reasons
    }

    /// Why a configured API key (`Elsa:Identity:ApiKey`, granting every permission) must not
    /// be used in Production, naming the fix (never the key).
    pub fn api_key_refusal(api_key: Option<&Secret>) -> Option<String> {
        let key = api_key?.expose().trim();
        if is_well_known_key(key) || is_common_password(key) {
            Some(format!(
                "{} is a well-known example value or a common password: anyone could call the API with every permission; set Elsa__Identity__ApiKey to a random secret of at least {MIN_API_KEY_CHARS} characters (e.g. `openssl rand -base64 48`), or leave it unset to have one generated and shown once at first start",
                API_KEY.path()
            ))
        } else if key.chars().count() < MIN_API_KEY_CHARS {
            Some(format!(
                "{} is shorter than {MIN_API_KEY_CHARS} characters: a short key grants every permission to whoever guesses it; set Elsa__Identity__ApiKey to a random secret of at least {MIN_API_KEY_CHARS} characters (e.g. `openssl rand -base64 48`), or leave it unset to have one generated and shown once at first start",
                API_KEY.path()
            ))
        } else {
            None
        }
    }

    /// The lockout limits for the API.
    pub fn lockout(&self) -> elsa_api::identity::LockoutOptions {
        let clamp = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        elsa_api::identity::LockoutOptions {
            max_failures_per_address: clamp(self.lockout_per_address.value),
            max_failures_per_user: clamp(self.lockout_per_user.value),
            window: self.lockout_window.value,
        }
    }
}

/// On the list of common passwords, ignoring case, also once trailing digits and symbols are
/// removed (`Password123!`, `Welcome2024`).
pub(super) fn is_common_password(password: &str) -> bool {
    let lower = password.trim().to_lowercase();
    let base = lower.trim_end_matches(|c: char| c.is_ascii_digit() || c.is_ascii_punctuation());
    COMMON_PASSWORDS
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .any(|common| common == lower || (!base.is_empty() && common == base))
}

fn is_well_known_key(key: &str) -> bool {
    let key = key.trim();
    WELL_KNOWN_SIGNING_KEYS
        .iter()
        .any(|k| k.eq_ignore_ascii_case(key))
}
