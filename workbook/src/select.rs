//! Which lab the learner means.
//!
//! People name a lab by whatever is in front of them: the chapter number (`3`), the
//! directory (`03_unary`, or `labs/03_unary/` from tab completion), the topic (`unary`) or
//! the package from a cargo command (`lab03-unary`). All of them work.

use workbook_checks::Lab;

/// The lab among `labs` that `input` names, or a message listing the labs there are.
pub fn find_lab<'a>(labs: &'a [Lab], input: &str) -> Result<&'a Lab, String> {
    let wanted = normalise(input);
    let matching: Vec<&Lab> = labs.iter().filter(|lab| names(lab, &wanted)).collect();
    match matching.as_slice() {
        [lab] => Ok(lab),
        [] => Err(format!(
            "no lab is called `{input}`. The labs are: {}. Name one by its number (3), its \
             directory (03_unary) or its package (lab03-unary).",
            listing(labs)
        )),
        several => Err(format!(
            "`{input}` could mean {}; use the lab's number instead.",
            listing(several.iter().copied())
        )),
    }
}

/// Lower case, without surrounding whitespace, a trailing `/` or a leading `./`, `labs/` or
/// `solutions/`.
fn normalise(input: &str) -> String {
    let mut text = input.trim().trim_end_matches(['/', '\\']).to_lowercase();
    for prefix in ["./", ".\\"] {
        if let Some(rest) = text.strip_prefix(prefix) {
            text = rest.to_owned();
        }
    }
    for prefix in ["labs/", "labs\\", "solutions/", "solutions\\"] {
        if let Some(rest) = text.strip_prefix(prefix) {
            text = rest.to_owned();
        }
    }
    text
}

/// Whether `wanted` (normalised) names `lab`.
fn names(lab: &Lab, wanted: &str) -> bool {
    if number_in(wanted) == Some(lab.number) {
        return true;
    }
    let dir_name = lab.dir_name.to_lowercase();
    if wanted == dir_name {
        return true;
    }
    let topic = dir_name.split_once('_').map_or("", |(_, topic)| topic);
    if !topic.is_empty() && (wanted == topic || wanted == topic.replace('_', "-")) {
        return true;
    }
    let Ok(package) = lab.package() else {
        return false;
    };
    let package = package.to_lowercase();
    wanted == package || wanted.replace('_', "-") == package
}

/// The number in `3`, `03`, `lab3`, `lab03` or `lab 3`.
fn number_in(wanted: &str) -> Option<u32> {
    let digits = wanted.strip_prefix("lab").unwrap_or(wanted).trim();
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

fn listing<'a>(labs: impl IntoIterator<Item = &'a Lab>) -> String {
    labs.into_iter()
        .map(|lab| match lab.package() {
            Ok(package) => format!("{} ({package})", lab.dir_name),
            Err(_) => lab.dir_name.clone(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    /// Labs whose directories do not exist: their package names cannot be read, so these
    /// tests cover every way of naming a lab except by package (see the integration tests).
    fn labs() -> Vec<Lab> {
        [
            (2, "02_protobuf"),
            (3, "03_unary"),
            (4, "04_server_streaming"),
        ]
        .into_iter()
        .map(|(number, dir_name)| Lab {
            number,
            dir_name: dir_name.to_owned(),
            dir: PathBuf::from("/nonexistent/labs").join(dir_name),
            solution_dir: PathBuf::from("/nonexistent/solutions").join(dir_name),
        })
        .collect()
    }

    fn found(input: &str) -> Result<u32, String> {
        find_lab(&labs(), input).map(|lab| lab.number)
    }

    #[test]
    fn a_lab_is_found_by_number_with_or_without_leading_zero() {
        assert_eq!(found("3"), Ok(3));
        assert_eq!(found("03"), Ok(3));
        assert_eq!(found(" 4 "), Ok(4));
        assert_eq!(found("lab3"), Ok(3));
        assert_eq!(found("lab03"), Ok(3));
    }

    #[test]
    fn a_lab_is_found_by_directory_topic_or_path() {
        assert_eq!(found("03_unary"), Ok(3));
        assert_eq!(found("unary"), Ok(3));
        assert_eq!(found("server-streaming"), Ok(4));
        assert_eq!(found("labs/04_server_streaming/"), Ok(4));
        assert_eq!(found("./labs/02_protobuf"), Ok(2));
        assert_eq!(found("solutions/02_protobuf"), Ok(2));
        assert_eq!(found("03_UNARY"), Ok(3));
    }

    #[test]
    fn an_unknown_lab_is_an_error_that_lists_the_labs() {
        let error = found("7").unwrap_err();
        assert!(error.contains("no lab is called `7`"), "{error}");
        assert!(error.contains("02_protobuf"), "{error}");
        assert!(error.contains("04_server_streaming"), "{error}");
        assert!(found("").is_err());
        assert!(found("lab").is_err());
        assert!(found("3x").is_err());
    }
}
