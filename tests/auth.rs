//! Authentication (R7, U3, U6, B6, X4) through the front door: sign-in pages and their JSON
//! twin, sessions and their cookie, throttling, set-password and reset links. Session and
//! throttle tests run in-process and, when `ROSTER_TEST_REDIS_URL` is set, on Redis too.

/// The password of most test accounts.
const PW: &str = "correct horse battery staple";

/// Runs `$body(redis)` in-process, and on Redis when `ROSTER_TEST_REDIS_URL` is set.
macro_rules! on_both_stores {
    ($memory:ident, $redis:ident, $body:ident) => {
        #[tokio::test]
        async fn $memory() {
            $body(None).await;
        }

        #[tokio::test]
        async fn $redis() {
            match crate::auth::kit::redis_url() {
                Some(url) => $body(Some(url)).await,
                None => eprintln!("ROSTER_TEST_REDIS_URL not set: Redis half skipped"),
            }
        }
    };
}

mod csrf;
mod kit;

mod languages;
mod pages;
mod passwords;
mod sessions;
mod throttle;
