//! Users through the API: U1 field rules, U2 suggestion and login edits, U3 numbers,
//! passwords and the account e-mail, U5 group filter, U7 superiors, U8 employments, U9
//! budget and properties, U10 type-ahead, and the scope of OU- and catalog-limited admins.

use axum::http::StatusCode;
use roster::store::entity::users;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};
use serde_json::{Value, json};

use super::{fields, jobs_for, message, people};
use crate::authz::World;

fn jane(login: &str) -> Value {
    json!({
        "login": login,
        "first_name": "Jane",
        "last_name": "Doe",
        "email": format!("{login}@example.org"),
        "catalogs": ["A"],
    })
}

async fn create(w: &World, token: &str, body: Value) -> (StatusCode, Value) {
    w.call("POST", "/api/v1/acme/users", Some(token), Some(body))
        .await
}

#[tokio::test]
async fn u1_create_names_every_field_that_breaks_a_rule() {
    let (w, token) = people("{}").await;
    let (status, problem) = create(
        &w,
        &token,
        json!({
            "login": "x".repeat(101),
            "first_name": "",
            "last_name": "é".repeat(51),
            "email": "jane+tag@example.org",
            "title": "t".repeat(51),
            "data_field_01": "d".repeat(256),
            "language": "fr",
            "catalogs": [],
            "user_groups": ["nope"],
            "enrollment_profiles": ["nope"],
            "organisation_unit": "MARS",
            "organisation": "NOPE",
        }),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let got = fields(&problem);
    for field in [
        "login",
        "first_name",
        "last_name",
        "email",
        "title",
        "data_field_01",
        "language",
        "catalogs",
        "user_groups",
        "enrollment_profiles",
        "organisation_unit",
        "organisation",
    ] {
        assert!(
            got.contains(&field.to_owned()),
            "{field} missing in {problem}"
        );
    }
    assert!(
        message(&problem, "login").contains("101 characters"),
        "{problem}"
    );
    assert!(message(&problem, "email").contains('+'), "{problem}");
    assert!(message(&problem, "language").contains("fr"), "{problem}");

    // Missing required fields are named too, not a deserialisation error.
    let (status, problem) = create(&w, &token, json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let got = fields(&problem);
    for field in ["login", "first_name", "last_name", "email", "catalogs"] {
        assert!(
            got.contains(&field.to_owned()),
            "{field} missing in {problem}"
        );
    }

    // And the valid user is created, with a set-password link queued (U3 default).
    let (status, user) = create(&w, &token, jane("jdoe")).await;
    assert_eq!(status, StatusCode::CREATED, "{user}");
    assert_eq!(user["login"], "jdoe");
    assert_eq!(user["catalogs"], json!(["A"]));
    assert!(user.get("generated_password").is_none());
    let id = user["id"].as_str().expect("present");
    assert_eq!(jobs_for(&w, "mail.set_password", id).await, 1);
}

#[tokio::test]
async fn u2_taken_login_answers_with_free_incremented_suggestion() {
    let (w, token) = people("{}").await;
    assert_eq!(
        create(&w, &token, jane("jdoe")).await.0,
        StatusCode::CREATED
    );
    let (status, problem) = create(&w, &token, jane("jdoe")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(fields(&problem), ["login"]);
    assert!(
        message(&problem, "login").contains("`jdoe2` is free"),
        "{problem}"
    );

    assert_eq!(
        create(&w, &token, jane("jdoe2")).await.0,
        StatusCode::CREATED
    );
    let (_, problem) = create(&w, &token, jane("jdoe")).await;
    assert!(
        message(&problem, "login").contains("`jdoe3` is free"),
        "{problem}"
    );

    let (status, s) = w
        .call(
            "GET",
            "/api/v1/acme/login-suggestion?login=jdoe",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        s,
        json!({"login": "jdoe", "free": false, "suggestion": "jdoe3"})
    );
}

#[tokio::test]
async fn u2_login_name_edit_refused_unless_the_tenant_enables_it() {
    let (w, token) = people("{editable_login_name: false}").await;
    let (_, u) = create(&w, &token, jane("jdoe")).await;
    let path = format!("/api/v1/acme/users/{}", u["id"].as_str().expect("present"));
    let (status, problem) = w
        .call(
            "PATCH",
            &path,
            Some(&token),
            Some(json!({"login": "jane.doe"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(fields(&problem), ["login"]);
    // Sending the unchanged login (as a form does) is fine.
    let (status, _) = w
        .call(
            "PATCH",
            &path,
            Some(&token),
            Some(json!({"login": "jdoe", "first_name": "Janet"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    let (w, token) = people("{editable_login_name: true}").await;
    let (_, u) = create(&w, &token, jane("jdoe")).await;
    create(&w, &token, jane("taken")).await;
    let path = format!("/api/v1/acme/users/{}", u["id"].as_str().expect("present"));
    let (status, problem) = w
        .call(
            "PATCH",
            &path,
            Some(&token),
            Some(json!({"login": "taken"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        message(&problem, "login").contains("`taken2` is free"),
        "{problem}"
    );
    let (status, user) = w
        .call(
            "PATCH",
            &path,
            Some(&token),
            Some(json!({"login": "jane.doe"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{user}");
    assert_eq!(user["login"], "jane.doe");
}

#[tokio::test]
async fn u3_generated_user_number_and_password_answered_once() {
    let (w, token) = people("{}").await;
    let mut body = jane("gen1");
    body["generate_user_number"] = json!(true);
    body["password_mode"] = json!("generate");
    let (status, u) = create(&w, &token, body).await;
    assert_eq!(status, StatusCode::CREATED, "{u}");
    assert_eq!(u["user_number"], "100001");
    assert_eq!(u["generated_password"].as_str().map(str::len), Some(16));
    assert_eq!(u["must_change_password"], true);
    let id = u["id"].as_str().expect("present");
    assert_eq!(
        jobs_for(&w, "mail.set_password", id).await,
        0,
        "no link mail"
    );
    let (_, again) = w
        .call(
            "GET",
            &format!("/api/v1/acme/users/{id}"),
            Some(&token),
            None,
        )
        .await;
    assert!(again.get("generated_password").is_none());
    let row = users::Entity::find_by_id(id.parse::<uuid::Uuid>().expect("present"))
        .one(&w.t.db)
        .await
        .expect("present")
        .expect("present");
    let stored = row.password_hash.expect("hash stored");
    assert!(
        roster::auth::password::verify(
            u["generated_password"].as_str().expect("present").into(),
            stored
        )
        .await
        .expect("present")
    );

    let mut body = jane("gen2");
    body["generate_user_number"] = json!(true);
    let (_, u2) = create(&w, &token, body).await;
    assert_eq!(u2["user_number"], "100002");

    // A typed password follows the tenant's policy; "must change" can be switched off.
    let mut body = jane("typed");
    body["password_mode"] = json!("typed");
    body["password"] = json!("short");
    let (status, problem) = create(&w, &token, body.clone()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&problem), ["password"]);
    body["password"] = json!("a long enough password");
    body["must_change_password"] = json!(false);
    let (status, u) = create(&w, &token, body).await;
    assert_eq!(status, StatusCode::CREATED, "{u}");
    assert_eq!(u["must_change_password"], false);

    // Taken user numbers are refused per field.
    let mut body = jane("dup");
    body["user_number"] = json!("100001");
    let (status, problem) = create(&w, &token, body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&problem), ["user_number"]);
}

#[tokio::test]
async fn u3_account_mail_needs_an_email_and_queues_one_job() {
    let (w, token) = people("{}").await;
    let without = w.user("nomail", Some("NL"), &["A"]).await;
    let row = users::Entity::find_by_id(without)
        .one(&w.t.db)
        .await
        .expect("present")
        .expect("present");
    let mut am: users::ActiveModel = row.into();
    am.email = Set(None);
    am.update(&w.t.db).await.expect("present");
    let (status, problem) = w
        .call(
            "POST",
            &format!("/api/v1/acme/users/{without}/account-mail"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(fields(&problem), ["email"]);
    assert!(message(&problem, "email").contains("no e-mail address"));
    assert_eq!(
        jobs_for(&w, "mail.set_password", &without.to_string()).await,
        0
    );

    let with = w.user("hasmail", Some("NL"), &["A"]).await;
    let (status, _) = w
        .call(
            "POST",
            &format!("/api/v1/acme/users/{with}/account-mail"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(
        jobs_for(&w, "mail.set_password", &with.to_string()).await,
        1
    );
}

#[tokio::test]
async fn u5_group_filter_pages_with_total() {
    let (w, token) = people("{}").await;
    for i in 0..3 {
        let mut body = jane(&format!("member{i}"));
        body["user_groups"] = json!(["sales"]);
        assert_eq!(create(&w, &token, body).await.0, StatusCode::CREATED);
    }
    for i in 0..2 {
        create(&w, &token, jane(&format!("other{i}"))).await;
    }
    let (status, page) = w
        .call(
            "GET",
            "/api/v1/acme/users?group=sales&per_page=2",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["total"], 3);
    assert_eq!(page["items"].as_array().expect("present").len(), 2);
    let (_, page2) = w
        .call(
            "GET",
            "/api/v1/acme/users?group=sales&per_page=2&page=2",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(page2["items"].as_array().expect("present").len(), 1);
    assert!(
        page2["items"][0]["login"]
            .as_str()
            .expect("present")
            .starts_with("member")
    );

    // By the group's id as well, combined with a search.
    let (_, groups) = w
        .call("GET", "/api/v1/acme/user-groups", Some(&token), None)
        .await;
    let sales = groups["items"]
        .as_array()
        .expect("present")
        .iter()
        .find(|g| g["code"] == "sales")
        .expect("present")["id"]
        .as_str()
        .expect("present")
        .to_owned();
    let (_, page) = w
        .call(
            "GET",
            &format!("/api/v1/acme/users?group={sales}&q=member1"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(page["total"], 1, "{page}");
    let (status, problem) = w
        .call("GET", "/api/v1/acme/users?group=nope", Some(&token), None)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&problem), ["group"]);
}

#[tokio::test]
async fn u7_superior_must_hold_the_superior_role() {
    let (w, token) = people("{}").await;
    create(&w, &token, jane("plain")).await;
    let mut boss = jane("manager");
    boss["roles"] = json!(["superior"]);
    let (status, b) = create(&w, &token, boss).await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    assert_eq!(b["roles"], json!(["superior"]));

    let mut body = jane("learner1");
    body["superior"] = json!("plain");
    let (status, problem) = create(&w, &token, body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&problem), ["superior"]);
    assert!(
        message(&problem, "superior").contains("Superior role"),
        "{problem}"
    );

    let mut body = jane("learner1");
    body["superior"] = json!("manager");
    let (status, u) = create(&w, &token, body).await;
    assert_eq!(status, StatusCode::CREATED, "{u}");
    assert_eq!(u["superior_id"], b["id"]);
    assert_eq!(u["superior"]["login"], "manager");

    // And on update, by id; back-office roles are not portal roles.
    let path = format!("/api/v1/acme/users/{}", u["id"].as_str().expect("present"));
    let (status, problem) = w
        .call(
            "PATCH",
            &path,
            Some(&token),
            Some(json!({"roles": ["helpdesk"]})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&problem), ["roles"]);
    let (status, cleared) = w
        .call("PATCH", &path, Some(&token), Some(json!({"superior": ""})))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(cleared["superior_id"], Value::Null);
}

async fn employments(w: &World, token: &str, user: &str) -> Vec<Value> {
    let (_, list) = w
        .call(
            "GET",
            &format!("/api/v1/acme/users/{user}/employments"),
            Some(token),
            None,
        )
        .await;
    list["items"].as_array().expect("present").clone()
}

#[tokio::test]
async fn u8_new_employment_ends_the_old_one_where_the_tenant_says_so() {
    let (w, token) = people("{auto_end_old_employments: true}").await;
    let (_, u) = create(&w, &token, jane("worker")).await;
    let id = u["id"].as_str().expect("present");
    let path = format!("/api/v1/acme/users/{id}/employments");
    let (status, _) = w
        .call(
            "POST",
            &path,
            Some(&token),
            Some(json!({"organisation": "ACME", "department": "SALES", "starts_on": "2026-01-01"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, list) = w
        .call(
            "POST",
            &path,
            Some(&token),
            Some(json!({"organisation": "BETA", "starts_on": "2026-06-01", "job_title": "Driver"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{list}");
    let all = employments(&w, &token, id).await;
    let active: Vec<&Value> = all.iter().filter(|e| e["active"] == true).collect();
    assert_eq!(active.len(), 1, "{all:?}");
    assert_eq!(active[0]["organisation"], "BETA");
    let old = all
        .iter()
        .find(|e| e["organisation"] == "ACME")
        .expect("present");
    assert_eq!(old["ends_on"], "2026-05-31");
    assert_eq!(old["department"], "SALES");

    // Ending the active one explicitly.
    let (status, ended) = w
        .call(
            "POST",
            &format!("{path}/{}/end", active[0]["id"].as_str().expect("present")),
            Some(&token),
            Some(json!({"ends_on": "2026-07-01"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{ended}");
    assert_eq!(ended["active"], false);

    // Field rules.
    let (status, problem) = w
        .call(
            "POST",
            &path,
            Some(&token),
            Some(json!({"organisation": "ACME", "department": "NOPE", "starts_on": "someday"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let f = fields(&problem);
    assert!(
        f.contains(&"department".into()) && f.contains(&"starts_on".into()),
        "{problem}"
    );

    // Switch off: both stay active.
    let (w, token) = people("{auto_end_old_employments: false}").await;
    let (_, u) = create(&w, &token, jane("worker")).await;
    let id = u["id"].as_str().expect("present");
    let path = format!("/api/v1/acme/users/{id}/employments");
    for org in ["ACME", "BETA"] {
        w.call(
            "POST",
            &path,
            Some(&token),
            Some(json!({"organisation": org})),
        )
        .await;
    }
    let all = employments(&w, &token, id).await;
    assert_eq!(all.iter().filter(|e| e["active"] == true).count(), 2);
}

#[tokio::test]
async fn u9_budget_and_properties_round_trip() {
    let (w, token) = people("{}").await;
    let mut body = jane("budget");
    body["budget"] = json!({"amount": "1.234,50"});
    body["properties"] = json!({"shoe size": "42", "diet": "vegan"});
    let (status, u) = create(&w, &token, body).await;
    assert_eq!(status, StatusCode::CREATED, "{u}");
    assert_eq!(
        u["budget"],
        json!({"amount_cents": 123450, "amount": "1234.50", "currency": "EUR"})
    );
    assert_eq!(u["properties"], json!({"diet": "vegan", "shoe size": "42"}));
    let id = u["id"].as_str().expect("present");
    let base = format!("/api/v1/acme/users/{id}");

    let (status, b) = w
        .call(
            "PUT",
            &format!("{base}/budget"),
            Some(&token),
            Some(json!({"amount": "99.5", "currency": "chf"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{b}");
    let (status, p) = w
        .call(
            "PUT",
            &format!("{base}/properties"),
            Some(&token),
            Some(json!({"shoe size": "43"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{p}");
    let (_, u) = w.call("GET", &base, Some(&token), None).await;
    assert_eq!(
        u["budget"],
        json!({"amount_cents": 9950, "amount": "99.50", "currency": "CHF"})
    );
    assert_eq!(u["properties"], json!({"shoe size": "43"}));

    let (status, problem) = w
        .call(
            "PUT",
            &format!("{base}/budget"),
            Some(&token),
            Some(json!({"amount": "lots"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&problem), ["budget"]);
    let (status, _) = w
        .call("DELETE", &format!("{base}/budget"), Some(&token), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, u) = w.call("GET", &base, Some(&token), None).await;
    assert_eq!(u["budget"], Value::Null);
}

#[tokio::test]
async fn u10_organisation_typeahead_needs_three_letters() {
    let (w, token) = people("{}").await;
    let (status, problem) = w
        .call(
            "GET",
            "/api/v1/acme/organisations/typeahead?q=ac",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&problem), ["q"]);
    let (status, found) = w
        .call(
            "GET",
            "/api/v1/acme/organisations/typeahead?q=hold",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(found["items"].as_array().expect("present").len(), 1);
    assert_eq!(found["items"][0]["code"], "ACME");
    let (_, found) = w
        .call(
            "GET",
            "/api/v1/acme/organisations/typeahead?q=LOGIS",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(found["items"][0]["code"], "BETA");
}

#[tokio::test]
async fn b5_scoped_admin_cannot_create_or_move_users_outside_their_ous() {
    let (w, _) = people("{}").await;
    let (_, sub) = w.admin("sub", "sub_tenant_admin", Some("EU"), None).await;
    let mut body = jane("us-user");
    body["organisation_unit"] = json!("US");
    let (status, problem) = create(&w, &sub, body).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
    let (status, problem) = create(&w, &sub, jane("nowhere")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&problem), ["organisation_unit"]);

    let mut body = jane("nl-user");
    body["organisation_unit"] = json!("NL");
    let (status, u) = create(&w, &sub, body).await;
    assert_eq!(status, StatusCode::CREATED, "{u}");
    assert_eq!(u["organisation_unit"], "NL");
    let path = format!("/api/v1/acme/users/{}", u["id"].as_str().expect("present"));
    let (status, _) = w
        .call(
            "PATCH",
            &path,
            Some(&sub),
            Some(json!({"organisation_unit": "US"})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let outside = w.user("us-existing", Some("US"), &["A"]).await;
    let out = format!("/api/v1/acme/users/{outside}");
    for (method, path, body) in [
        ("GET", out.clone(), None),
        ("PATCH", out.clone(), Some(json!({"first_name": "X"}))),
        ("POST", format!("{out}/account-mail"), None),
        ("PUT", format!("{out}/budget"), Some(json!({"amount": "1"}))),
        ("GET", format!("{out}/employments"), None),
    ] {
        let (status, _) = w.call(method, &path, Some(&sub), body).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}");
    }
    let row = users::Entity::find_by_id(outside)
        .one(&w.t.db)
        .await
        .expect("present")
        .expect("present");
    assert_eq!(row.first_name, "First", "unchanged");
}

#[tokio::test]
async fn b4_catalog_limited_admin_cannot_create_users_in_other_catalogs() {
    let (w, _) = people("{}").await;
    let (_, help) = w.admin("help", "helpdesk", None, Some(&["A"])).await;
    let mut body = jane("in-b");
    body["catalogs"] = json!(["A", "B"]);
    let (status, _) = create(&w, &help, body).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = create(&w, &help, jane("in-a")).await;
    assert_eq!(status, StatusCode::CREATED);
}
