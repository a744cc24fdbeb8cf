//! I1–I10 at the command line: `roster import` exit codes (0 all rows ok, 1 some rows
//! failed, 2 file rejected), `--simulate`, `--report`, `--stage`, and `roster export`.

use std::process::Command;

use super::kit::{HEADER, Kit, csv, std_row};

const BIN: &str = env!("CARGO_BIN_EXE_roster");

fn roster(url: &str, args: &[&str]) -> std::process::Output {
    Command::new(BIN)
        .args(args)
        .env("ROSTER_DATABASE_URL", url)
        .env_remove("ROSTER_REDIS_URL")
        .env("RUST_LOG", "warn")
        .output()
        .expect("run roster")
}

async fn run(url: &str, args: Vec<String>) -> std::process::Output {
    let url = url.to_owned();
    tokio::task::spawn_blocking(move || {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        roster(&url, &refs)
    })
    .await
    .expect("join")
}

#[tokio::test]
async fn i8_cli_exit_codes_simulate_report_and_export() {
    let k = Kit::new().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let good = dir.path().join("good.csv");
    let some_bad = dir.path().join("some-bad.csv");
    let rejected = dir.path().join("rejected.csv");
    let report = dir.path().join("report.csv");
    std::fs::write(
        &good,
        csv(HEADER, &[&std_row("E1", "Ann", "Lee", "a@example.org")]),
    )
    .expect("write");
    std::fs::write(
        &some_bad,
        csv(
            HEADER,
            &[
                &std_row("E2", "Bo", "Lee", "b@example.org"),
                &std_row("E3", "Cy", "Lee", "bad"),
            ],
        ),
    )
    .expect("write");
    std::fs::write(&rejected, "FirstName;LastName;Email;\n").expect("write");
    let path = |p: &std::path::Path| p.to_str().expect("utf-8").to_owned();
    let args = |extra: &[&str], file: &std::path::Path| {
        let mut a: Vec<String> = vec!["import".into(), "--tenant".into(), "acme".into()];
        a.extend(extra.iter().map(|s| (*s).to_owned()));
        a.push(path(file));
        a
    };

    let sim = run(
        &k.t.url,
        args(&["--simulate", "--report", &path(&report)], &good),
    )
    .await;
    assert_eq!(
        sim.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&sim.stderr)
    );
    let stdout = String::from_utf8_lossy(&sim.stdout);
    assert!(
        stdout.starts_with("simulation: 1 rows: 1 would be created"),
        "{stdout}"
    );
    assert_eq!(k.users().await, 0);
    assert!(
        std::fs::read_to_string(&report)
            .expect("report")
            .contains("2;created;")
    );

    let ok = run(&k.t.url, args(&[], &good)).await;
    assert_eq!(ok.status.code(), Some(0));
    assert_eq!(k.users().await, 1);

    let partial = run(&k.t.url, args(&[], &some_bad)).await;
    assert_eq!(partial.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&partial.stderr);
    assert!(
        stderr.contains("error: line 3, column E (Email): invalid e-mail address"),
        "{stderr}"
    );
    assert!(
        String::from_utf8_lossy(&partial.stdout)
            .contains("1 created, 0 updated, 0 unchanged, 1 errors")
    );

    let refused = run(&k.t.url, args(&[], &rejected)).await;
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&refused.stdout)
            .contains("file rejected, nothing imported: line 1: trailing delimiter"),
        "{}",
        String::from_utf8_lossy(&refused.stdout)
    );

    let staged = run(&k.t.url, args(&["--stage"], &good)).await;
    assert_eq!(staged.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&staged.stdout).starts_with("staged import "));

    let out = dir.path().join("export.csv");
    let export = run(
        &k.t.url,
        vec![
            "export".into(),
            "--tenant".into(),
            "acme".into(),
            "--out".into(),
            path(&out),
        ],
    )
    .await;
    assert_eq!(
        export.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&export.stderr)
    );
    let text = std::fs::read_to_string(&out).expect("export");
    assert!(text.starts_with(HEADER));
    assert_eq!(text.lines().count(), 3);
}

/// I2 at the command line: `--config CODE` picks the tenant's import configuration (it
/// clashed with the settings-file flag and panicked); whatever stops an import before its
/// first row — no such configuration, tenant or file — exits 2 with nothing imported, so 1
/// keeps meaning "some rows failed".
#[tokio::test]
async fn i2_cli_config_picks_the_configuration_and_setup_errors_exit_2() {
    let k = Kit::new().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let pob = dir.path().join("pob.csv");
    std::fs::write(&pob, "Gebruikersnummer;Persoonlijk budget\nU9;10\n").expect("write");
    let pob = pob.to_str().expect("utf-8").to_owned();
    let import = |extra: &[&str]| {
        let mut a: Vec<String> = vec!["import".into()];
        a.extend(extra.iter().map(|s| (*s).to_owned()));
        a
    };

    let out = run(
        &k.t.url,
        import(&["--tenant", "acme", "--config", "POB", &pob]),
    )
    .await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("no user with UserNumber `U9`"),
        "the personal budget configuration read the file: {stderr}"
    );

    for (args, says) in [
        (
            import(&["--tenant", "acme", "--config", "NOPE", &pob]),
            "import configuration `NOPE` not found",
        ),
        (import(&["--tenant", "nobody", &pob]), "no tenant `nobody`"),
        (
            import(&["--tenant", "acme", "--catalog", "NOPE", &pob]),
            "unknown catalog `NOPE`",
        ),
        (
            import(&[
                "--tenant",
                "acme",
                "--config",
                "POB",
                "/nonexistent/pob.csv",
            ]),
            "cannot read /nonexistent/pob.csv",
        ),
    ] {
        let out = run(&k.t.url, args.clone()).await;
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
        assert!(String::from_utf8_lossy(&out.stdout).contains("nothing imported"));
    }
    assert_eq!(k.users().await, 0);
}
