//! Password hashing (argon2id) and API token generation. Tokens are random,
//! shown once, and stored only as their SHA-256 digest.

use argon2::Argon2;
use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
};
use rand::RngCore;
use sha2::{Digest, Sha256};

pub const MIN_PASSWORD_CHARS: usize = 10;
/// Longer passwords are refused: hashing a megabyte would be a cheap way to burn the server's time.
pub const MAX_PASSWORD_CHARS: usize = 256;

/// The most common passwords (and their Chinese-keyboard favourites) that are refused outright.
pub const COMMON_PASSWORDS: &[&str] = &[
    "1234567890",
    "12345678910",
    "123456789a",
    "0123456789",
    "qwertyuiop",
    "1q2w3e4r5t",
    "password123",
    "password12",
    "iloveyou12",
    "woaini1314",
    "woaini520",
    "a123456789",
    "abc1234567",
    "qwerty1234",
    "1qaz2wsx3edc",
    "aaaaaaaaaa",
    "1111111111",
    "0000000000",
    "8888888888",
    "5201314520",
    "admin12345",
    "administrator",
    "letmein123",
    "passw0rd12",
    "zxcvbnm123",
];

pub fn check_password(password: &str) -> Result<(), String> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(format!(
            "a password needs at least {MIN_PASSWORD_CHARS} characters"
        ));
    }
    if password.chars().count() > MAX_PASSWORD_CHARS {
        return Err(format!(
            "a password has at most {MAX_PASSWORD_CHARS} characters"
        ));
    }
    let lower = password.to_lowercase();
    if COMMON_PASSWORDS.contains(&lower.as_str()) {
        return Err("this password is among the most common ones; choose another".into());
    }
    Ok(())
}

pub fn hash_password(password: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| format!("cannot hash the password: {e}"))
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A new API token: (plain token, its digest, its display prefix).
pub fn new_api_token() -> (String, String, String) {
    let mut bytes = [0u8; 24];
    rand::thread_rng().fill_bytes(&mut bytes);
    let token = format!("qiao_{}", hex(&bytes));
    let prefix = token[..12].to_string();
    let digest = token_digest(&token);
    (token, digest, prefix)
}

pub fn token_digest(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `bytes` random bytes as lower-case hex: session secrets and CSRF tokens.
pub fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut buf);
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_and_verify() {
        let hash = hash_password("海边的桥-2026").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("海边的桥-2026", &hash));
        assert!(!verify_password("海边的桥-2025", &hash));
    }

    #[test]
    fn weak_passwords_are_refused() {
        assert!(check_password("short").is_err());
        assert!(check_password("1qaz2wsx3edc").is_err());
        assert!(check_password("tide-lantern-42").is_ok());
    }

    #[test]
    fn tokens_are_random_and_digested() {
        let (a, digest, prefix) = new_api_token();
        let (b, _, _) = new_api_token();
        assert_ne!(a, b);
        assert_eq!(token_digest(&a), digest);
        assert!(a.starts_with(&prefix) && a.len() == 53);
    }
}
