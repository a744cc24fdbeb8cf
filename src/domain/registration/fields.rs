//! R2, R4, R6, U1: the registration form's fields as the tenant's descriptor switches them on,
//! each checked with a message naming the field. Free of HTTP: the portal hands in what was
//! typed, this module answers with parsed values or one [`FieldError`] per bad field.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::auth::recovery::{PasswordProblem, check_policy};
use crate::domain::email_domain::DomainPattern;
use crate::domain::users::{Email, LoginName, PersonName, TEXT_MAX, bounded};
use crate::error::FieldError;
use crate::tenancy::descriptor::{FieldRule, PasswordPolicy, Registration};

/// What a registrant typed, field by field (names as on the form).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct RegistrationForm {
    /// Login name (U1).
    pub login: String,
    /// First name.
    pub first_name: String,
    /// Middle name (optional).
    pub middle_name: String,
    /// Last name.
    pub last_name: String,
    /// E-mail address (R4: its domain must be allowed).
    pub email: String,
    /// Password, when the tenant asks for one.
    pub password: String,
    /// The password again.
    pub password_repeat: String,
    /// Personnel number.
    pub personnel_number: String,
    /// Postal address.
    pub address: String,
    /// Phone.
    pub phone: String,
    /// Mobile phone.
    pub mobile: String,
    /// Private e-mail address.
    pub private_email: String,
    /// `female`, `male`, `diverse` or `unspecified`.
    pub gender: String,
    /// `YYYY-MM-DD`.
    pub birth_date: String,
    /// Organisation code (when a choice).
    pub organisation: String,
    /// Organisation-unit code (when a choice).
    pub organisation_unit: String,
    /// Billing details.
    pub billing_details: String,
    /// Order number.
    pub order_number: String,
    /// PE-Online id.
    pub pe_online_id: String,
    /// Newsletter opt-in (`on` when ticked).
    pub newsletter: Option<String>,
    /// Disclaimer accepted (`on` when ticked).
    pub disclaimer: Option<String>,
    /// Privacy policy accepted (`on` when ticked; R6).
    pub privacy_policy: Option<String>,
    /// The captcha answer.
    pub captcha: String,
    /// Preferred language (mails go out in it).
    pub language: String,
    /// Extended properties, by name (`property.<name>` on the form).
    #[serde(skip)]
    pub properties: BTreeMap<String, String>,
}

/// The registration after every field passed.
#[derive(Debug, Clone)]
pub struct Checked {
    /// Login name.
    pub login: LoginName,
    /// First name.
    pub first_name: PersonName,
    /// Middle name.
    pub middle_name: Option<String>,
    /// Last name.
    pub last_name: PersonName,
    /// E-mail address.
    pub email: Email,
    /// Password as typed, when one was chosen.
    pub password: Option<String>,
    /// Personnel number.
    pub personnel_number: Option<String>,
    /// Organisation code.
    pub organisation: Option<String>,
    /// Organisation-unit code.
    pub organisation_unit: Option<String>,
    /// Extended properties (name → value), only the non-empty ones.
    pub properties: BTreeMap<String, String>,
    /// The language, when one of the tenant's.
    pub language: Option<String>,
    /// Every other field, stored in `users.registration_data`.
    pub data: Extra,
}

/// Fields without a column of their own.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Extra {
    /// Postal address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// Phone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// Mobile phone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mobile: Option<String>,
    /// Private e-mail address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub private_email: Option<String>,
    /// Gender.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gender: Option<String>,
    /// Birth date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub birth_date: Option<NaiveDate>,
    /// Billing details.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub billing_details: Option<String>,
    /// Order number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_number: Option<String>,
    /// PE-Online id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pe_online_id: Option<String>,
    /// Newsletter opt-in.
    pub newsletter: bool,
    /// Disclaimer accepted.
    pub disclaimer_accepted: bool,
}

/// Genders the form offers.
pub const GENDERS: [&str; 4] = ["female", "male", "diverse", "unspecified"];

/// Collects the problems of one form.
struct Problems(Vec<FieldError>);

impl Problems {
    fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0.push(FieldError {
            field: field.to_owned(),
            message: message.into(),
        });
    }

    /// R2: an on/off, required/optional free-text field (at most 255 characters).
    fn text(&mut self, field: &str, label: &str, rule: FieldRule, value: &str) -> Option<String> {
        if !rule.enabled {
            return None;
        }
        let value = value.trim();
        if value.is_empty() {
            if rule.required {
                self.add(field, format!("{label} is required"));
            }
            return None;
        }
        match bounded(value, TEXT_MAX, label) {
            Ok(v) => Some(v),
            Err(e) => {
                self.add(field, e.0);
                None
            }
        }
    }

    /// R2: a phone number: digits, spaces and `+ ( ) - /`, 6–30 characters, at least 6 digits.
    fn phone(&mut self, field: &str, label: &str, rule: FieldRule, value: &str) -> Option<String> {
        let v = self.text(field, label, rule, value)?;
        let allowed = v
            .chars()
            .all(|c| c.is_ascii_digit() || " +()-/".contains(c));
        let digits = v.chars().filter(char::is_ascii_digit).count();
        if !allowed || !(6..=30).contains(&v.chars().count()) || digits < 6 {
            self.add(
                field,
                format!("{label} must be a phone number: digits, spaces and + ( ) - / only"),
            );
            return None;
        }
        Some(v)
    }

    fn tick(&mut self, field: &str, message: &str, required: bool, value: Option<&str>) -> bool {
        let ticked = matches!(value, Some("on" | "true" | "1" | "yes"));
        if required && !ticked {
            self.add(field, message);
        }
        ticked
    }
}

/// What the form is checked against.
pub struct Rules<'a> {
    /// The tenant's registration settings.
    pub registration: &'a Registration,
    /// The tenant's password policy (R7).
    pub policy: &'a PasswordPolicy,
    /// The tenant's languages.
    pub languages: &'a [String],
    /// Known organisation codes.
    pub organisations: &'a [String],
    /// Known organisation-unit codes.
    pub units: &'a [String],
    /// The captcha answer expected, when the tenant asks for one; `None` when none was issued.
    pub captcha_expected: Option<&'a str>,
    /// Today, for the birth date.
    pub today: NaiveDate,
}

/// R4: whether `email` may self-register under `allowed` (empty: every domain). Exact
/// patterns match the domain itself, `*.x` patterns its sub-domains; case does not matter.
pub fn domain_allowed(allowed: &[String], email: &str) -> bool {
    allowed.is_empty()
        || allowed
            .iter()
            .filter_map(|p| DomainPattern::parse(p).ok())
            .any(|p| p.allows_email(email))
}

/// R7: a password problem in words.
pub fn password_message(p: &PasswordProblem) -> String {
    match p {
        PasswordProblem::TooShort { min } => format!("password needs at least {min} characters"),
        PasswordProblem::TooLong { max } => format!("password may have at most {max} characters"),
        PasswordProblem::NeedsLetter => "password needs a letter".into(),
        PasswordProblem::NeedsDigit => "password needs a digit".into(),
        PasswordProblem::NeedsSymbol => {
            "password needs a character that is neither letter nor digit".into()
        }
        PasswordProblem::Mismatch => "the two passwords differ".into(),
        PasswordProblem::SameAsCurrent => "choose a password other than the current one".into(),
    }
}

/// R2, R4, R6, U1: checks `form` against the tenant's `rules`; every problem is reported at
/// once, one entry per field.
pub fn check(form: &RegistrationForm, rules: &Rules<'_>) -> Result<Checked, Vec<FieldError>> {
    let f = &rules.registration.fields;
    let mut p = Problems(Vec::new());
    let login = LoginName::parse(form.login.trim())
        .map_err(|e| p.add("login", e.0))
        .ok();
    let first_name = PersonName::parse(form.first_name.trim(), "first name")
        .map_err(|e| p.add("first_name", e.0))
        .ok();
    let middle_name = match form.middle_name.trim() {
        "" => None,
        m => PersonName::parse(m, "middle name")
            .map_err(|e| p.add("middle_name", e.0))
            .ok()
            .map(PersonName::into_string),
    };
    let last_name = PersonName::parse(form.last_name.trim(), "last name")
        .map_err(|e| p.add("last_name", e.0))
        .ok();
    let email = match form.email.trim() {
        "" => {
            p.add("email", "e-mail address is required");
            None
        }
        e => match Email::parse(e) {
            Err(err) => {
                p.add("email", err.0);
                None
            }
            Ok(email) if !domain_allowed(&rules.registration.allowed_domains, email.as_str()) => {
                p.add(
                    "email",
                    format!(
                        "addresses of this domain cannot register here; allowed: {}",
                        rules.registration.allowed_domains.join(", ")
                    ),
                );
                None
            }
            Ok(email) => Some(email),
        },
    };

    // R7: the tenant's policy applies to a password chosen on the form too.
    let password = if f.password.enabled {
        if form.password.is_empty() {
            if f.password.required {
                p.add("password", "password is required");
            }
            None
        } else {
            let problems = check_policy(rules.policy, &form.password, &form.password_repeat);
            for problem in &problems {
                let field = if *problem == PasswordProblem::Mismatch {
                    "password_repeat"
                } else {
                    "password"
                };
                p.add(field, password_message(problem));
            }
            problems.is_empty().then(|| form.password.clone())
        }
    } else {
        None
    };

    let personnel_number = p.text(
        "personnel_number",
        "personnel number",
        f.personnel_number,
        &form.personnel_number,
    );
    let address = p.text("address", "address", f.address, &form.address);
    let phone = p.phone("phone", "phone", f.phone, &form.phone);
    let mobile = p.phone("mobile", "mobile phone", f.mobile, &form.mobile);
    let private_email = p
        .text(
            "private_email",
            "private e-mail address",
            f.private_email,
            &form.private_email,
        )
        .and_then(|e| match Email::parse(&e) {
            Ok(e) => Some(e.into_string()),
            Err(err) => {
                p.add("private_email", format!("private {}", err.0));
                None
            }
        });
    let gender = p
        .text("gender", "gender", f.gender, &form.gender)
        .and_then(|g| {
            if GENDERS.contains(&g.as_str()) {
                Some(g)
            } else {
                p.add(
                    "gender",
                    format!("gender must be one of {}", GENDERS.join(", ")),
                );
                None
            }
        });
    let birth_date = p
        .text("birth_date", "birth date", f.birth_date, &form.birth_date)
        .and_then(|d| match NaiveDate::parse_from_str(&d, "%Y-%m-%d") {
            Ok(date)
                if date <= rules.today
                    && NaiveDate::from_ymd_opt(1900, 1, 1).is_some_and(|min| date >= min) =>
            {
                Some(date)
            }
            Ok(_) => {
                p.add(
                    "birth_date",
                    "birth date must lie between 1900-01-01 and today",
                );
                None
            }
            Err(_) => {
                p.add("birth_date", "birth date must be a date written YYYY-MM-DD");
                None
            }
        });

    let choice = |p: &mut Problems,
                  field: &str,
                  label: &str,
                  rule: &crate::tenancy::descriptor::ChoiceFieldRule,
                  value: &str,
                  known: &[String]| {
        if let Some(fixed) = &rule.fixed {
            return Some(fixed.clone());
        }
        if !rule.enabled {
            return None;
        }
        match value.trim() {
            "" => {
                if rule.required {
                    p.add(field, format!("{label} is required"));
                }
                None
            }
            v if known.iter().any(|k| k == v) => Some(v.to_owned()),
            v => {
                p.add(field, format!("unknown {label} `{v}`"));
                None
            }
        }
    };
    let organisation = choice(
        &mut p,
        "organisation",
        "organisation",
        &f.organisation,
        &form.organisation,
        rules.organisations,
    );
    let organisation_unit = choice(
        &mut p,
        "organisation_unit",
        "organisation unit",
        &f.organisation_unit,
        &form.organisation_unit,
        rules.units,
    );
    let billing_details = p.text(
        "billing_details",
        "billing details",
        f.billing_details,
        &form.billing_details,
    );
    let order_number = p.text(
        "order_number",
        "order number",
        f.order_number,
        &form.order_number,
    );
    let pe_online_id = p.text(
        "pe_online_id",
        "PE-Online id",
        f.pe_online_id,
        &form.pe_online_id,
    );
    let mut properties = BTreeMap::new();
    if f.properties.enabled {
        for name in &f.properties.names {
            let field = format!("property.{name}");
            let rule = FieldRule {
                enabled: true,
                required: f.properties.required,
            };
            let value = form.properties.get(name).map_or("", String::as_str);
            if let Some(v) = p.text(&field, name, rule, value) {
                properties.insert(name.clone(), v);
            }
        }
    }
    let newsletter = f.newsletter.enabled
        && p.tick(
            "newsletter",
            "please say whether you want the newsletter",
            f.newsletter.required,
            form.newsletter.as_deref(),
        );
    let disclaimer_accepted = f.disclaimer.enabled
        && p.tick(
            "disclaimer",
            "the disclaimer must be accepted",
            f.disclaimer.required,
            form.disclaimer.as_deref(),
        );
    // R6: only self-registrants are asked, and only where the tenant has a policy.
    if rules.registration.privacy_policy_url.is_some() {
        p.tick(
            "privacy_policy",
            "the privacy policy must be accepted",
            true,
            form.privacy_policy.as_deref(),
        );
    }
    if f.captcha.enabled {
        let answered = form.captcha.trim();
        match rules.captcha_expected {
            Some(expected) if !answered.is_empty() && answered == expected => {}
            _ if answered.is_empty() => p.add("captcha", "please answer the check question"),
            _ => p.add("captcha", "the answer to the check question is not correct"),
        }
    }
    let language = Some(form.language.trim())
        .filter(|l| rules.languages.iter().any(|x| x == l))
        .map(str::to_owned);

    match (login, first_name, last_name, email) {
        (Some(login), Some(first_name), Some(last_name), Some(email)) if p.0.is_empty() => {
            Ok(Checked {
                login,
                first_name,
                middle_name,
                last_name,
                email,
                password,
                personnel_number,
                organisation,
                organisation_unit,
                properties,
                language,
                data: Extra {
                    address,
                    phone,
                    mobile,
                    private_email,
                    gender,
                    birth_date,
                    billing_details,
                    order_number,
                    pe_online_id,
                    newsletter,
                    disclaimer_accepted,
                },
            })
        }
        _ => Err(p.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r4_allow_list_exact_wildcard_case_and_look_alikes() {
        let allowed = vec![
            "archipel.academy".to_owned(),
            "*.archipel-zorg.nl".to_owned(),
        ];
        assert!(domain_allowed(&allowed, "jan@archipel.academy"));
        assert!(domain_allowed(&allowed, "JAN@ARCHIPEL.ACADEMY"));
        assert!(domain_allowed(&allowed, "jan@student.archipel-zorg.nl"));
        assert!(!domain_allowed(&allowed, "jan@archipel-zorg.nl"));
        assert!(!domain_allowed(
            &allowed,
            "jan@archipel.academy.evil.example"
        ));
        assert!(!domain_allowed(&allowed, "jan@archipe1.academy"));
        assert!(!domain_allowed(&allowed, "jan@evil-archipel-zorg.nl"));
        assert!(domain_allowed(&[], "anyone@anywhere.example"));
    }
}
