//! Password hashing with argon2id (OWASP parameters: 19 MiB, t=2, p=1), off the async
//! threads and bounded by a semaphore sized to the cores, since each hash holds ~19 MiB.

use std::sync::LazyLock;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::Rng;
use tokio::sync::Semaphore;

static HASHING: LazyLock<Semaphore> = LazyLock::new(|| {
    Semaphore::new(
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2),
    )
});

fn argon2() -> anyhow::Result<Argon2<'static>> {
    let params = Params::new(19 * 1024, 2, 1, None).map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes a password exactly as typed (no trimming, no normalisation).
pub async fn hash(password: String) -> anyhow::Result<String> {
    let _permit = HASHING.acquire().await?;
    tokio::task::spawn_blocking(move || {
        let mut salt = [0u8; 16];
        rand::rng().fill(&mut salt);
        let salt = SaltString::encode_b64(&salt).map_err(|e| anyhow::anyhow!("{e}"))?;
        let hash = argon2()?
            .hash_password(password.as_bytes(), &salt)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(hash.to_string())
    })
    .await?
}

/// Checks a password against a stored hash; a malformed hash never verifies.
pub async fn verify(password: String, stored: String) -> anyhow::Result<bool> {
    let _permit = HASHING.acquire().await?;
    tokio::task::spawn_blocking(move || {
        let Ok(parsed) = PasswordHash::new(&stored) else {
            return Ok(false);
        };
        Ok(argon2()?
            .verify_password(password.as_bytes(), &parsed)
            .is_ok())
    })
    .await?
}

/// A random password of `len` characters from an alphabet without look-alikes.
pub fn generate(len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    let mut rng = rand::rng();
    (0..len)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_exactly_as_typed() {
        let long = "ü ".repeat(40); // 80 characters, spaces included
        let stored = hash(long.clone()).await.expect("hash");
        assert!(stored.starts_with("$argon2id$"));
        assert!(verify(long.clone(), stored.clone()).await.expect("verify"));
        assert!(
            !verify(long.trim().to_owned(), stored.clone())
                .await
                .expect("verify")
        );
        assert!(
            !verify("x".into(), "not a hash".into())
                .await
                .expect("verify")
        );
    }

    #[test]
    fn generated_passwords_differ() {
        assert_eq!(generate(16).chars().count(), 16);
        assert_ne!(generate(16), generate(16));
    }
}
