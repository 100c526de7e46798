//! Step 1: the rules a `CreateUserRequest` must satisfy.
//!
//! Validation is a pure function of one request, so it can be tested without a server and
//! applied to each request the moment it arrives. Each rule that fails becomes one
//! [`FieldViolation`] naming the request's position in the batch and the field
//! (`requests[2].email`), which is what the client needs to fix its input.
//!
//! The rules are deliberately "plausible", not RFC 5322: the only proof that an address
//! works is a message delivered to it. What the server can cheaply reject is input that is
//! certainly wrong (empty, no `@`, no domain) or abusive (very long).

use tonic_types::FieldViolation;
use workbook_proto::user::CreateUserRequest;

/// The longest name accepted, in characters (Unicode scalar values) after trimming.
pub const MAX_NAME_CHARS: usize = 100;

/// The longest email accepted, in bytes: the 254 that fit in an SMTP path (RFC 5321).
pub const MAX_EMAIL_BYTES: usize = 254;

/// One broken rule: a stable machine-readable `reason` (clients branch on it) and a
/// description for humans (clients show it, never parse it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// SCREAMING_SNAKE_CASE, as `google.rpc.BadRequest.FieldViolation.reason` asks.
    pub reason: &'static str,
    /// What is wrong and what would be right. Never echoes the value itself: it may be
    /// megabytes long, or personal data that must not end up in a client's logs.
    pub description: String,
}

impl Problem {
    /// A problem with this `reason` and `description`.
    pub fn new(reason: &'static str, description: impl Into<String>) -> Self {
        Self {
            reason,
            description: description.into(),
        }
    }
}

// ANCHOR: check_name
/// The name rule: not empty once surrounding whitespace is trimmed, and at most
/// [`MAX_NAME_CHARS`] characters (the trimmed name is what gets stored).
pub fn check_name(name: &str) -> Result<(), Problem> {
    let name = name.trim();
    if name.is_empty() {
        return Err(Problem::new(
            "NAME_EMPTY",
            "name must not be empty or only whitespace",
        ));
    }
    // Characters, not bytes: "Zoë" is 3 characters and 4 bytes, and a limit a user can
    // count is the one that makes sense for a name.
    let chars = name.chars().count();
    if chars > MAX_NAME_CHARS {
        return Err(Problem::new(
            "NAME_TOO_LONG",
            format!("name must be at most {MAX_NAME_CHARS} characters, got {chars}"),
        ));
    }
    Ok(())
}
// ANCHOR_END: check_name

// ANCHOR: check_email
/// The email rule, checked in this order (the first failure is reported):
///
/// 1. not empty;
/// 2. at most [`MAX_EMAIL_BYTES`] bytes;
/// 3. no whitespace anywhere (emails are not trimmed: `" ada@example.com"` is a client bug);
/// 4. exactly one `@`;
/// 5. a non-empty local part before it;
/// 6. a domain after it with at least one dot (`example.com`, not `localhost`);
/// 7. no empty label in the domain (no leading, trailing or doubled dot).
pub fn check_email(email: &str) -> Result<(), Problem> {
    if email.is_empty() {
        return Err(Problem::new("EMAIL_EMPTY", "email must not be empty"));
    }
    if email.len() > MAX_EMAIL_BYTES {
        return Err(Problem::new(
            "EMAIL_TOO_LONG",
            format!(
                "email must be at most {MAX_EMAIL_BYTES} bytes, got {}",
                email.len()
            ),
        ));
    }
    if email.chars().any(char::is_whitespace) {
        return Err(Problem::new(
            "EMAIL_HAS_WHITESPACE",
            "email must not contain whitespace",
        ));
    }
    let at_signs = email.matches('@').count();
    let Some((local, domain)) = email.split_once('@').filter(|_| at_signs == 1) else {
        return Err(Problem::new(
            "EMAIL_AT_SIGN",
            format!("email must contain exactly one '@', got {at_signs}"),
        ));
    };
    if local.is_empty() {
        return Err(Problem::new(
            "EMAIL_LOCAL_PART_EMPTY",
            "email needs a local part before the '@'",
        ));
    }
    if !domain.contains('.') {
        return Err(Problem::new(
            "EMAIL_DOMAIN_NO_DOT",
            "email needs a domain with a dot after the '@', as in example.com",
        ));
    }
    if domain.split('.').any(str::is_empty) {
        return Err(Problem::new(
            "EMAIL_DOMAIN_EMPTY_LABEL",
            "email domain must not start or end with a dot or contain '..'",
        ));
    }
    Ok(())
}
// ANCHOR_END: check_email

/// A violation of `field` (`"name"` or `"email"`) in the request at `index`, as the client
/// will see it: `requests[2].email`, the problem's reason and description.
pub fn violation(index: usize, field: &str, problem: Problem) -> FieldViolation {
    FieldViolation {
        field: format!("requests[{index}].{field}"),
        description: problem.description,
        reason: problem.reason.to_owned(),
        localized_message: None,
    }
}

// ANCHOR: validate
/// Every broken rule of the request at position `index` (0-based) in its batch: none, one
/// or two violations (at most one per field, the first rule that field breaks).
pub fn validate(index: usize, request: &CreateUserRequest) -> Vec<FieldViolation> {
    let mut violations = Vec::new();
    if let Err(problem) = check_name(&request.name) {
        violations.push(violation(index, "name", problem));
    }
    if let Err(problem) = check_email(&request.email) {
        violations.push(violation(index, "email", problem));
    }
    violations
}
// ANCHOR_END: validate
