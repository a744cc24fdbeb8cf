//! Sign-in throttling (R7): per account and per address, in-process and on Redis.

use std::net::SocketAddr;
use std::time::Duration;

use axum::http::{Method, StatusCode};
use roster::auth::principal::PrincipalKind;
use roster::auth::throttle::Keys;
use serde_json::json;
use uuid::Uuid;

use super::PW;
use super::kit::{App, redis_get};

async fn throttling(redis: Option<String>) {
    let app = App::with(redis.clone(), |s| {
        s.auth.max_failures_per_account = 3;
        s.auth.max_failures_per_address = 100;
        s.auth.failure_window = Duration::from_secs(2);
    })
    .await;
    app.user("target", PW, |_| {}).await;
    let mut b = app.browser();
    // A success clears the account's counter.
    for _ in 0..2 {
        assert_eq!(
            b.sign_in(PrincipalKind::User, "target", "guess", None)
                .await
                .status,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        b.sign_in(PrincipalKind::User, "target", PW, None)
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    for _ in 0..3 {
        assert_eq!(
            b.sign_in(PrincipalKind::User, "target", "guess", None)
                .await
                .status,
            StatusCode::UNAUTHORIZED
        );
    }
    if let Some(url) = &redis {
        // The counter lives in Redis, where every instance sees it.
        let key = Keys::new(app.tenant.0, PrincipalKind::User, "target", None);
        let count: Option<u32> = redis_get(url, key.account_key()).await;
        assert_eq!(count, Some(3));
    }
    let r = b.sign_in(PrincipalKind::User, "target", PW, None).await;
    assert_eq!(
        r.status,
        StatusCode::TOO_MANY_REQUESTS,
        "the right password is refused too"
    );
    assert!(r.body.contains("try again in 1 minute."), "{}", r.body);
    let r = b
        .json(
            Method::POST,
            "/api/v1/acme/session",
            Some(json!({"login": "target", "password": PW})),
        )
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.content_type, "application/problem+json");
    let retry: u64 = r.headers["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((1..=2).contains(&retry), "{retry}");

    tokio::time::sleep(Duration::from_millis(2200)).await;
    let r = b.sign_in(PrincipalKind::User, "target", PW, None).await;
    assert_eq!(
        r.status,
        StatusCode::SEE_OTHER,
        "the window passed: the owner gets in"
    );
}
on_both_stores!(
    r7_throttling_refuses_after_n_failures_until_the_window_passes,
    r7_throttling_refuses_after_n_failures_until_the_window_passes_on_redis,
    throttling
);

async fn address_throttling(redis: Option<String>) {
    let app = App::with(redis.clone(), |s| {
        s.auth.max_failures_per_account = 100;
        s.auth.max_failures_per_address = 3;
    })
    .await;
    app.user("victim", PW, |_| {}).await;
    // A random address so parallel runs on one Redis do not meet.
    let n = Uuid::new_v4().as_u128();
    let attacker: SocketAddr =
        format!("10.{}.{}.{}:5000", n % 250, (n >> 8) % 250, (n >> 16) % 250)
            .parse()
            .expect("addr");
    let honest: SocketAddr = format!("172.16.{}.{}:5000", (n >> 24) % 250, (n >> 32) % 250)
        .parse()
        .expect("addr");
    let mut a = app.browser();
    a.peer = Some(attacker);
    for login in ["x1", "x2", "x3"] {
        assert_eq!(
            a.sign_in(PrincipalKind::User, login, "guess", None)
                .await
                .status,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        a.sign_in(PrincipalKind::User, "victim", PW, None)
            .await
            .status,
        StatusCode::TOO_MANY_REQUESTS
    );
    let mut h = app.browser();
    h.peer = Some(honest);
    assert_eq!(
        h.sign_in(PrincipalKind::User, "victim", PW, None)
            .await
            .status,
        StatusCode::SEE_OTHER
    );
}
on_both_stores!(
    r7_address_throttling_spans_accounts,
    r7_address_throttling_spans_accounts_on_redis,
    address_throttling
);

#[tokio::test]
async fn r7_forwarded_for_counts_only_when_trusted() {
    let app = App::with(None, |s| {
        s.auth.max_failures_per_account = 100;
        s.auth.max_failures_per_address = 2;
        s.auth.trust_forwarded_for = true;
    })
    .await;
    app.user("someone", PW, |_| {}).await;
    let mut a = app.browser();
    a.forwarded_for = Some("203.0.113.9, 198.51.100.7".into());
    for login in ["x1", "x2"] {
        a.sign_in(PrincipalKind::User, login, "guess", None).await;
    }
    assert_eq!(
        a.sign_in(PrincipalKind::User, "someone", PW, None)
            .await
            .status,
        StatusCode::TOO_MANY_REQUESTS
    );
    let mut other = app.browser();
    other.forwarded_for = Some("203.0.113.9, 198.51.100.8".into());
    assert_eq!(
        other
            .sign_in(PrincipalKind::User, "someone", PW, None)
            .await
            .status,
        StatusCode::SEE_OTHER
    );
}
