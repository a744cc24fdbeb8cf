//! The `roster` binary as an operator uses it: validate, apply, list, serve.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};

use crate::util::{MINIMAL, TestDb};

const BIN: &str = env!("CARGO_BIN_EXE_roster");

fn roster(db_url: &str, args: &[&str]) -> std::process::Output {
    Command::new(BIN)
        .args(args)
        .env("ROSTER_DATABASE_URL", db_url)
        .env_remove("ROSTER_REDIS_URL")
        .env("RUST_LOG", "warn")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run roster")
}

#[test]
fn t2_validate_passes_on_shipped_tenants_and_fails_with_positions() {
    let ok = roster("sqlite::memory:", &["tenant", "validate", "tenants/"]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("acme.yaml");
    std::fs::write(
        &bad,
        MINIMAL.replacen("    parent: EU\n", "    parent: XX\n", 1),
    )
    .expect("write");
    let out = roster(
        "sqlite::memory:",
        &["tenant", "validate", bad.to_str().expect("utf-8")],
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "{}:28:13: unknown parent organisation unit `XX`",
            bad.display()
        )),
        "{stderr}"
    );
}

#[tokio::test]
async fn t2_apply_twice_then_list() {
    let t = TestDb::empty().await;
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("acme.yaml"), MINIMAL).expect("write");
    let path = dir.path().to_str().expect("utf-8").to_owned();
    let url = t.url.clone();
    let (first, second, list) = tokio::task::spawn_blocking(move || {
        (
            roster(&url, &["tenant", "apply", &path]),
            roster(&url, &["tenant", "apply", &path]),
            roster(&url, &["tenant", "list"]),
        )
    })
    .await
    .expect("join");
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let first = String::from_utf8_lossy(&first.stdout);
    assert!(first.contains("catalog MAIN: created"), "{first}");
    let second = String::from_utf8_lossy(&second.stdout);
    let object_lines: Vec<&str> = second.lines().filter(|l| l.starts_with("  ")).collect();
    assert_eq!(object_lines.len(), 14, "{second}");
    assert!(
        object_lines.iter().all(|l| l.ends_with(": unchanged")),
        "{second}"
    );
    let list = String::from_utf8_lossy(&list.stdout);
    assert!(
        list.lines()
            .any(|l| l.starts_with("acme ") && l.contains("Acme")),
        "{list}"
    );
}

#[test]
fn serve_starts_on_defaults_and_answers_healthz() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut child = Command::new(BIN)
        .arg("serve")
        .env_remove("ROSTER_DATABASE_URL")
        .env_remove("ROSTER_REDIS_URL")
        .env("ROSTER_BIND", "127.0.0.1:0")
        .env("ROSTER_DATA_DIR", dir.path())
        .env(
            "ROSTER_TENANTS_DIR",
            concat!(env!("CARGO_MANIFEST_DIR"), "/tenants"),
        )
        .env("RUST_LOG", "warn")
        .current_dir(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn serve");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let mut addr = None;
    let mut admins = Vec::new();
    for line in lines.by_ref().map_while(Result::ok) {
        if let Some(rest) = line.strip_prefix("Roster is listening on http://") {
            addr = rest.split_whitespace().next().map(str::to_owned);
        } else if line.starts_with("First administrator of tenant") {
            admins.push(line);
        }
        if addr.is_some() && admins.len() == 2 {
            break;
        }
    }
    let addr = addr.expect("serve printed its address");
    assert_eq!(
        admins.len(),
        2,
        "one first administrator per shipped tenant: {admins:?}"
    );
    assert!(
        dir.path().join("roster.db").exists(),
        "SQLite file created under the data dir"
    );

    let mut stream = TcpStream::connect(&addr).expect("connect");
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .expect("send");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    let _ = child.kill();
    let _ = child.wait();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.ends_with("ok"), "{response}");
}

#[tokio::test]
async fn admin_add_prints_a_link_and_token_issue_acts_as_that_admin() {
    let t = TestDb::empty().await;
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("acme.yaml"), MINIMAL).expect("write");
    let path = dir.path().to_str().expect("utf-8").to_owned();
    let url = t.url.clone();
    let (apply, add, issue) = tokio::task::spawn_blocking(move || {
        (
            roster(&url, &["tenant", "apply", &path]),
            roster(
                &url,
                &[
                    "admin",
                    "add",
                    "--tenant",
                    "acme",
                    "--login",
                    "ops",
                    "--role",
                    "admin",
                    "--catalog",
                    "MAIN",
                ],
            ),
            roster(
                &url,
                &["token", "issue", "--tenant", "acme", "--login", "ops"],
            ),
        )
    })
    .await
    .expect("join");
    assert!(apply.status.success());
    let add_out = String::from_utf8_lossy(&add.stdout);
    assert!(
        add.status.success(),
        "{add_out}{}",
        String::from_utf8_lossy(&add.stderr)
    );
    assert!(
        add_out.contains("created back-office user `ops`"),
        "{add_out}"
    );
    assert!(add_out.contains("/t/acme/password/set?token="), "{add_out}");
    let token = String::from_utf8_lossy(&issue.stdout).trim().to_owned();
    assert!(token.starts_with("rst_"), "{token}");

    let mut settings = roster::config::Settings::resolve(&roster::config::SettingsArgs::default())
        .expect("settings");
    settings.database_url = t.url.clone();
    let (mailer, _) = roster::mail::Mailer::memory();
    let state = roster::app::AppState::with_mailer(settings, t.db.clone(), mailer).expect("state");
    let (status, me) =
        crate::authz::call(&state, "GET", "/api/v1/acme/me", Some(&token), None).await;
    assert_eq!(status, axum::http::StatusCode::OK, "{me}");
    assert_eq!(me["login"], "ops");

    let url = t.url.clone();
    let list = tokio::task::spawn_blocking(move || {
        roster(
            &url,
            &["token", "list", "--tenant", "acme", "--login", "ops"],
        )
    })
    .await
    .expect("join");
    let list = String::from_utf8_lossy(&list.stdout);
    let id = list
        .lines()
        .nth(1)
        .and_then(|l| l.split_whitespace().next())
        .expect("token id")
        .to_owned();
    let url = t.url.clone();
    let revoke = tokio::task::spawn_blocking(move || {
        roster(&url, &["token", "revoke", "--tenant", "acme", &id])
    })
    .await
    .expect("join");
    assert!(revoke.status.success());
    let (status, _) =
        crate::authz::call(&state, "GET", "/api/v1/acme/me", Some(&token), None).await;
    assert_eq!(status, axum::http::StatusCode::UNAUTHORIZED);
}

/// X9: `tenant plan` says what `apply` would change, writes nothing, and exits 0 when nothing
/// would change, 3 when something would.
#[tokio::test]
async fn x9_plan_exits_0_when_applied_and_3_with_a_change() {
    let t = TestDb::empty().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("acme.yaml");
    std::fs::write(&file, MINIMAL).expect("write");
    let path = file.to_str().expect("utf-8").to_owned();
    let url = t.url.clone();
    let (fresh, apply, same) = tokio::task::spawn_blocking({
        let path = path.clone();
        move || {
            (
                roster(&url, &["tenant", "plan", &path]),
                roster(&url, &["tenant", "apply", &path]),
                roster(&url, &["tenant", "plan", &path]),
            )
        }
    })
    .await
    .expect("join");
    let out = |o: &std::process::Output| String::from_utf8_lossy(&o.stdout).into_owned();
    assert_eq!(fresh.status.code(), Some(3), "{}", out(&fresh));
    assert!(
        out(&fresh).contains("catalog MAIN: created"),
        "{}",
        out(&fresh)
    );
    assert!(
        apply.status.success(),
        "{}",
        String::from_utf8_lossy(&apply.stderr)
    );
    assert_eq!(same.status.code(), Some(0), "{}", out(&same));
    assert!(
        out(&same).starts_with(&format!("acme ({path}): no changes")),
        "{}",
        out(&same)
    );

    std::fs::write(
        &file,
        MINIMAL.replacen("    name: Sales\n", "    name: Sales & Marketing\n", 1),
    )
    .expect("write");
    let url = t.url.clone();
    let (changed, again) = tokio::task::spawn_blocking(move || {
        (
            roster(&url, &["tenant", "plan", &path]),
            roster(&url, &["tenant", "plan", &path]),
        )
    })
    .await
    .expect("join");
    assert_eq!(changed.status.code(), Some(3), "{}", out(&changed));
    let text = out(&changed);
    assert!(text.contains("1 change\n"), "{text}");
    assert!(text.contains("  catalog SALES: changed\n"), "{text}");
    assert!(
        text.contains("    name: \"Sales\" → \"Sales & Marketing\"\n"),
        "{text}"
    );
    assert_eq!(
        again.status.code(),
        Some(3),
        "plan writes nothing: {}",
        out(&again)
    );
}
