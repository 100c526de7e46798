//! Checks of the workbook itself, run by the plain `cargo test` at the root.
//!
//! They keep the promises the README makes: every lab has a README, a solution that runs the
//! lab's own tests, TODOs for the learner and a chapter that sends the learner to it; every
//! code block in the book comes from a file that is compiled and tested; no include or
//! internal link points nowhere.

use std::{collections::BTreeSet, fs, path::Path};

use workbook_checks::{
    anchored, bank_questions, chapters, code_blocks, includes, labs, link_targets, manifest_values,
    repo_root, test_sections,
};

/// Collects every problem before failing, so one run lists them all.
#[derive(Default)]
struct Problems(Vec<String>);

impl Problems {
    fn add(&mut self, problem: String) {
        self.0.push(problem);
    }

    #[track_caller]
    fn assert_none(self, what: &str) {
        assert!(
            self.0.is_empty(),
            "{what}: {} problem(s)\n  - {}",
            self.0.len(),
            self.0.join("\n  - ")
        );
    }
}

fn read(path: &Path) -> String {
    fs::read_to_string(path)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()))
}

fn relative(path: &Path) -> String {
    path.strip_prefix(repo_root())
        .unwrap_or(path)
        .display()
        .to_string()
}

#[test]
fn there_are_labs_to_check() {
    let numbers: Vec<u32> = labs().iter().map(|lab| lab.number).collect();
    assert!(
        numbers.contains(&2) && numbers.contains(&3),
        "labs 2 and 3 should exist, found {numbers:?}"
    );
}

#[test]
fn every_lab_has_a_readme_that_links_its_chapter() {
    let mut problems = Problems::default();
    for lab in labs() {
        let readme = lab.dir.join("README.md");
        let Ok(text) = fs::read_to_string(&readme) else {
            problems.add(format!("{} is missing", relative(&readme)));
            continue;
        };
        let chapter_link = format!("../../book/src/ch{:02}-", lab.number);
        let linked = link_targets(&text)
            .into_iter()
            .find(|target| target.starts_with(&chapter_link));
        match linked {
            None => problems.add(format!(
                "{} does not link its chapter ({chapter_link}...)",
                relative(&readme)
            )),
            Some(target) if !lab.dir.join(&target).is_file() => problems.add(format!(
                "{} links {target}, which does not exist",
                relative(&readme)
            )),
            Some(_) => {}
        }
        let package = lab.package().unwrap_or_default();
        if !text.contains(&format!("cargo test -p {package}")) {
            problems.add(format!(
                "{} does not show the command `cargo test -p {package}`",
                relative(&readme)
            ));
        }
    }
    problems.assert_none("lab READMEs");
}

#[test]
fn every_lab_has_a_solution_that_runs_the_labs_own_tests() {
    let mut problems = Problems::default();
    for lab in labs() {
        let lab_manifest = read(&lab.dir.join("Cargo.toml"));
        let solution_path = lab.solution_dir.join("Cargo.toml");
        let Ok(solution_manifest) = fs::read_to_string(&solution_path) else {
            problems.add(format!(
                "lab {} has no {}",
                lab.dir_name,
                relative(&solution_path)
            ));
            continue;
        };

        let lab_lib = manifest_values(&lab_manifest, "[lib]", "name");
        let solution_lib = manifest_values(&solution_manifest, "[lib]", "name");
        if lab_lib.is_empty() || lab_lib != solution_lib {
            problems.add(format!(
                "lab {}: the lab's [lib] name {lab_lib:?} and the solution's {solution_lib:?} must be set and equal, so one test file can test both",
                lab.dir_name
            ));
        }
        if manifest_values(&solution_manifest, "[package]", "autotests") != ["false"] {
            problems.add(format!(
                "{}: set `autotests = false`; its tests are the lab's",
                relative(&solution_path)
            ));
        }

        let test_files = lab.test_files();
        if test_files.is_empty() {
            problems.add(format!("lab {} has no tests/*.rs", lab.dir_name));
        }
        let expected: BTreeSet<(String, String)> = test_files
            .iter()
            .map(|file| {
                let stem = file
                    .file_stem()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned();
                let name = file
                    .file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned();
                (stem, format!("../../labs/{}/tests/{name}", lab.dir_name))
            })
            .collect();
        let names = manifest_values(&solution_manifest, "[[test]]", "name");
        let paths = manifest_values(&solution_manifest, "[[test]]", "path");
        let declared: BTreeSet<(String, String)> = names.into_iter().zip(paths).collect();
        if declared != expected {
            problems.add(format!(
                "{}: its [[test]] targets {declared:?} should be exactly the lab's test files {expected:?}",
                relative(&solution_path)
            ));
        }
    }
    problems.assert_none("solutions");
}

#[test]
fn starters_have_todos_and_solutions_have_none() {
    let mut problems = Problems::default();
    for lab in labs() {
        let marker = format!("TODO(lab {}", lab.number);
        let starter = rust_sources(&lab.dir.join("src"));
        if !starter.iter().any(|(_, text)| text.contains(&marker)) {
            problems.add(format!(
                "lab {}: no `// {marker}, step N)` marker in src/",
                lab.dir_name
            ));
        }
        if !starter.iter().any(|(_, text)| text.contains("todo!(")) {
            problems.add(format!(
                "lab {}: no todo!() left for the learner",
                lab.dir_name
            ));
        }
        for (path, text) in rust_sources(&lab.solution_dir.join("src")) {
            if text.contains("todo!(") || text.contains("TODO(lab") {
                problems.add(format!("{} still has a TODO", relative(&path)));
            }
        }
    }
    problems.assert_none("starters and solutions");
}

#[test]
fn given_code_has_one_copy_in_the_lab() {
    // A module the learner never edits is the same in the lab and the solution. Copying it
    // means every fix must be made twice; the solution compiles the lab's file instead:
    // `#[path = "../../../labs/NN_topic/src/<module>.rs"] pub mod <module>;`.
    let mut problems = Problems::default();
    for lab in labs() {
        for (path, text) in rust_sources(&lab.solution_dir.join("src")) {
            if path.file_name().is_some_and(|name| name == "lib.rs") {
                continue;
            }
            let Ok(relative_to_src) = path.strip_prefix(lab.solution_dir.join("src")) else {
                continue;
            };
            let lab_file = lab.dir.join("src").join(relative_to_src);
            if fs::read_to_string(&lab_file).is_ok_and(|lab_text| lab_text == text) {
                problems.add(format!(
                    "{} is a copy of {}: delete it and declare the module in the solution's lib.rs with #[path = \"../../../labs/{}/src/{}\"]",
                    relative(&path),
                    relative(&lab_file),
                    lab.dir_name,
                    relative_to_src.display()
                ));
            }
        }
    }
    problems.assert_none("given code");
}

fn rust_sources(dir: &Path) -> Vec<(std::path::PathBuf, String)> {
    let mut sources = Vec::new();
    let Ok(entries) = fs::read_dir(dir) else {
        return sources;
    };
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        if path.is_dir() {
            sources.extend(rust_sources(&path));
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            let text = read(&path);
            sources.push((path, text));
        }
    }
    sources
}

#[test]
fn every_chapter_with_a_lab_sends_the_learner_to_it() {
    let mut problems = Problems::default();
    let chapters = chapters();
    for lab in labs() {
        let Some(chapter) = chapters.iter().find(|c| c.number == Some(lab.number)) else {
            problems.add(format!(
                "lab {} has no chapter {} in SUMMARY.md",
                lab.dir_name, lab.number
            ));
            continue;
        };
        let text = read(&repo_root().join("book/src").join(&chapter.file));
        let package = lab.package().unwrap_or_default();
        for needle in [
            format!("labs/{}", lab.dir_name),
            format!("cargo test -p {package}"),
        ] {
            if !text.contains(&needle) {
                problems.add(format!("{} never mentions `{needle}`", chapter.file));
            }
        }
    }
    problems.assert_none("chapters and labs");
}

#[test]
fn every_code_block_in_the_book_is_included_from_a_tested_file() {
    let mut problems = Problems::default();
    for (file, text) in book_pages() {
        for block in code_blocks(&text) {
            let only_includes = !block.body.is_empty()
                && block
                    .body
                    .iter()
                    .filter(|line| !line.trim().is_empty())
                    .all(|line| {
                        let line = line.trim();
                        line.starts_with("{{#include ") && line.ends_with("}}")
                            || line.starts_with("{{#rustdoc_include ") && line.ends_with("}}")
                    });
            if !only_includes {
                problems.add(format!(
                    "{file}:{}: a ```{} block with text written in the page; include it from a compiled, tested file instead",
                    block.line, block.info
                ));
            }
        }
    }
    problems.assert_none("code blocks");
}

#[test]
fn every_include_in_the_book_resolves_to_a_file_and_anchor() {
    let mut problems = Problems::default();
    let src = repo_root().join("book/src");
    for (file, text) in book_pages() {
        let page_dir = page_dir(&src, &file);
        for include in includes(&text) {
            let target = page_dir.join(&include.path);
            let Ok(content) = fs::read_to_string(&target) else {
                problems.add(format!(
                    "{file}: includes {}, which does not exist",
                    include.path
                ));
                continue;
            };
            // `path:anchor` names an anchor; `path:5:` or `path:3:9` is a line range.
            let Some(anchor) = include
                .anchor
                .filter(|a| !a.chars().all(|c| c.is_ascii_digit() || c == ':'))
            else {
                continue;
            };
            if anchored(&content, &anchor).is_none() {
                problems.add(format!(
                    "{file}: includes {}:{anchor}, but that file has no ANCHOR/ANCHOR_END pair named {anchor}",
                    include.path
                ));
            }
        }
    }
    problems.assert_none("includes");
}

#[test]
fn every_internal_link_and_image_in_the_book_resolves() {
    let mut problems = Problems::default();
    let src = repo_root().join("book/src");
    for (file, text) in book_pages() {
        let page_dir = page_dir(&src, &file);
        for target in link_targets(&text) {
            if target.contains("://")
                || target.starts_with("mailto:")
                || target.starts_with('#')
                || target.is_empty()
            {
                continue;
            }
            let path = target.split('#').next().unwrap_or_default();
            let resolved = page_dir.join(path);
            if !resolved.exists() {
                problems.add(format!("{file}: links {target}, which does not exist"));
            } else if !resolved.starts_with(&src)
                || !resolved
                    .canonicalize()
                    .is_ok_and(|p| p.starts_with(src.canonicalize().unwrap_or_default()))
            {
                problems.add(format!(
                    "{file}: links {target}, outside the book; the rendered book cannot serve it (write the repository path as inline code)"
                ));
            }
        }
    }
    problems.assert_none("links");
}

#[test]
fn chapters_end_with_interview_questions_answers_and_red_flags() {
    let mut problems = Problems::default();
    for chapter in chapters()
        .into_iter()
        .filter(|c| c.number.is_some_and(|n| n >= 1))
    {
        let text = read(&repo_root().join("book/src").join(&chapter.file));
        let Some((_, section)) = text.split_once("## What interviewers look for") else {
            problems.add(format!(
                "{} has no `## What interviewers look for` section",
                chapter.file
            ));
            continue;
        };
        let questions = section
            .lines()
            .filter(|line| {
                let line = line.trim();
                line.starts_with("**") && line.trim_end_matches("**").ends_with('?')
                    || line.starts_with('#') && line.ends_with('?')
            })
            .count();
        let red_flags = section.matches("Red flag").count();
        if questions < 10 {
            problems.add(format!(
                "{}: {questions} interview questions; at least 10 wanted",
                chapter.file
            ));
        }
        if red_flags < questions {
            problems.add(format!(
                "{}: {questions} questions but {red_flags} red-flag notes; every question gets one",
                chapter.file
            ));
        }
    }
    problems.assert_none("interview sections");
}

/// The directory a page's relative paths start from.
/// The page that shows every test a bank answer links, with the command that runs it.
const TEST_INDEX: &str = "appendix-b-tests.md";

/// The chapters the question bank covers, and how many questions each needs.
const BANK_CHAPTERS: std::ops::RangeInclusive<u32> = 1..=12;
const BANK_QUESTIONS_PER_CHAPTER: usize = 10;
/// Answers per chapter that link a test: behaviour is shown, not only told.
const BANK_TEST_LINKS_PER_CHAPTER: usize = 3;

/// The question-bank pages (`appendix-a*.md`) with their questions.
fn bank_pages() -> Vec<(String, Vec<workbook_checks::BankQuestion>)> {
    book_pages()
        .into_iter()
        .filter(|(file, _)| file.starts_with("appendix-a"))
        .map(|(file, text)| (file, bank_questions(&text)))
        .filter(|(_, questions)| !questions.is_empty())
        .collect()
}

/// Lowercase words only: two phrasings of one question compare equal.
fn normalized(question: &str) -> String {
    question
        .to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn the_question_bank_has_ten_answered_questions_per_chapter_with_red_flags_and_tests() {
    let mut problems = Problems::default();
    let pages = bank_pages();
    if pages.is_empty() {
        problems
            .add("no question-bank page (book/src/appendix-a*.md with `### Q` questions)".into());
    }

    // The questions that already end each chapter: the bank asks new ones.
    let mut chapter_questions = BTreeSet::new();
    for chapter in chapters() {
        let text = read(&repo_root().join("book/src").join(&chapter.file));
        if let Some((_, section)) = text.split_once("## What interviewers look for") {
            for line in section.lines() {
                if let Some(bold) = line.trim().strip_prefix("**") {
                    chapter_questions.insert(normalized(bold.trim_end_matches("**")));
                }
            }
        }
    }

    let mut per_chapter = std::collections::BTreeMap::<u32, (usize, usize)>::new();
    let mut ids = BTreeSet::new();
    for (file, questions) in &pages {
        for q in questions {
            let id = format!("Q{}.{}", q.chapter, q.number);
            if !BANK_CHAPTERS.contains(&q.chapter) || q.number == 0 {
                problems.add(format!(
                    "{file}: `### Q{}` needs an id `Q<chapter>.<n>` with chapter 1-12",
                    q.question
                ));
                continue;
            }
            if !ids.insert(id.clone()) {
                problems.add(format!("{file}: {id} is used twice"));
            }
            if !q.question.ends_with('?') {
                problems.add(format!("{file}: {id} does not end with `?`"));
            }
            if chapter_questions.contains(&normalized(&q.question)) {
                problems.add(format!(
                    "{file}: {id} repeats a question that already ends its chapter"
                ));
            }
            let Some((answer, after)) = q.body.split_once("**Red flags:**") else {
                problems.add(format!("{file}: {id} has no `**Red flags:**` paragraph"));
                continue;
            };
            if answer.split_whitespace().count() < 40 {
                problems.add(format!(
                    "{file}: {id}'s model answer is {} words; a real answer is longer",
                    answer.split_whitespace().count()
                ));
            }
            if after.split_whitespace().count() < 5 {
                problems.add(format!("{file}: {id}'s red flags are empty"));
            }
            let links_a_test = link_targets(&q.body)
                .iter()
                .any(|target| target.starts_with(&format!("{TEST_INDEX}#")));
            if q.body.contains("**Shown by:**") && !links_a_test {
                problems.add(format!("{file}: {id} says `Shown by:` but links no test"));
            }
            let counts = per_chapter.entry(q.chapter).or_default();
            counts.0 += 1;
            counts.1 += usize::from(links_a_test);
        }
    }
    for chapter in BANK_CHAPTERS {
        let (questions, with_tests) = per_chapter.get(&chapter).copied().unwrap_or_default();
        if questions < BANK_QUESTIONS_PER_CHAPTER {
            problems.add(format!(
                "chapter {chapter}: {questions} bank questions; at least {BANK_QUESTIONS_PER_CHAPTER} wanted"
            ));
        }
        if with_tests < BANK_TEST_LINKS_PER_CHAPTER {
            problems.add(format!(
                "chapter {chapter}: {with_tests} bank answers link the test that shows them; at least {BANK_TEST_LINKS_PER_CHAPTER} wanted"
            ));
        }
    }
    problems.assert_none("question bank");
}

#[test]
fn every_test_a_bank_answer_links_is_shown_with_the_command_that_runs_it() {
    let mut problems = Problems::default();
    let src = repo_root().join("book/src");
    let index_path = src.join(TEST_INDEX);
    let index = fs::read_to_string(&index_path).unwrap_or_default();
    let sections = test_sections(&index);

    // Each section: a test's name, the test itself included by an anchor of that name, and
    // the command that runs it against the learner's code.
    let packages: Vec<(String, String)> = labs()
        .iter()
        .filter_map(|lab| Some((format!("labs/{}/", lab.dir_name), lab.package().ok()?)))
        .collect();
    let mut names = BTreeSet::new();
    for (name, body) in &sections {
        if !names.insert(name.clone()) {
            problems.add(format!("{TEST_INDEX}: `{name}` has two sections"));
        }
        let found = includes(body);
        let Some(include) = found.first() else {
            problems.add(format!("{TEST_INDEX}: `{name}` includes no test"));
            continue;
        };
        if include.anchor.as_deref() != Some(name.as_str()) {
            problems.add(format!(
                "{TEST_INDEX}: `{name}` includes anchor {:?}; name the anchor after the test",
                include.anchor
            ));
        }
        let content = fs::read_to_string(src.join(&include.path)).unwrap_or_default();
        match anchored(&content, name) {
            Some(code) if code.contains(&format!("fn {name}(")) => {}
            Some(_) => problems.add(format!(
                "{TEST_INDEX}: anchor {name} in {} does not hold `fn {name}(`",
                include.path
            )),
            None => problems.add(format!(
                "{TEST_INDEX}: {} has no anchor pair {name}",
                include.path
            )),
        }
        let package = packages
            .iter()
            .find(|(dir, _)| include.path.contains(dir.as_str()))
            .map(|(_, package)| package.clone())
            .or_else(|| {
                include
                    .path
                    .contains("solutions/user-service/")
                    .then(|| "user-service".to_owned())
            });
        match package {
            Some(package) if body.contains(&format!("cargo test -p {package}")) => {}
            Some(package) => problems.add(format!(
                "{TEST_INDEX}: `{name}` does not show `cargo test -p {package} ...`"
            )),
            None => problems.add(format!(
                "{TEST_INDEX}: `{name}` includes {}, which is no lab's or the reference server's test",
                include.path
            )),
        }
    }

    // Every link into the index lands on a section, and every section is linked.
    let mut linked = BTreeSet::new();
    for (file, text) in book_pages() {
        for target in link_targets(&text) {
            if let Some(fragment) = target.strip_prefix(&format!("{TEST_INDEX}#")) {
                if !names.contains(fragment) {
                    problems.add(format!(
                        "{file}: links {target}, but {TEST_INDEX} has no section `{fragment}`"
                    ));
                }
                linked.insert(fragment.to_owned());
            }
        }
    }
    for name in names.difference(&linked) {
        problems.add(format!("{TEST_INDEX}: `{name}` is linked from no answer"));
    }
    if sections.is_empty() {
        problems.add(format!("{TEST_INDEX} shows no test"));
    }
    problems.assert_none("tests behind the answers");
}

fn page_dir(src: &Path, page: &str) -> std::path::PathBuf {
    src.join(page)
        .parent()
        .map_or_else(|| src.to_path_buf(), Path::to_path_buf)
}

/// Every Markdown page of the book, as (path relative to `book/src`, text).
fn book_pages() -> Vec<(String, String)> {
    let src = repo_root().join("book/src");
    let mut pages = Vec::new();
    let mut dirs = vec![src.clone()];
    while let Some(dir) = dirs.pop() {
        for entry in fs::read_dir(&dir)
            .expect("book/src is readable")
            .filter_map(Result::ok)
        {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|ext| ext == "md") {
                let name = path
                    .strip_prefix(&src)
                    .unwrap_or(&path)
                    .display()
                    .to_string();
                pages.push((name, read(&path)));
            }
        }
    }
    pages.sort();
    pages
}

mod parsers {
    //! The Markdown readers above, checked on small inputs so that a check which finds
    //! nothing is known to be able to find something.

    use workbook_checks::{
        anchored, bank_questions, code_blocks, includes, link_targets, manifest_values,
        test_sections,
    };

    #[test]
    fn bank_questions_are_found_with_their_ids_and_bodies() {
        let text = "# Page\n## Chapter 7\n### Q7.3 Why?\n\nBecause.\n\n**Red flags:** none\n## Next\ntext\n### Qx Bad?\n";
        let questions = bank_questions(text);
        assert_eq!(questions.len(), 2);
        assert_eq!((questions[0].chapter, questions[0].number), (7, 3));
        assert_eq!(questions[0].question, "Why?");
        assert_eq!(questions[0].body, "\nBecause.\n\n**Red flags:** none\n");
        assert_eq!((questions[1].chapter, questions[1].number), (0, 0));
    }

    #[test]
    fn test_sections_and_anchors_are_found() {
        let text = "## Lab 7\n### `slow_call`\nruns\n### Other\n";
        assert_eq!(
            test_sections(text),
            [("slow_call".to_owned(), "runs\n".to_owned())]
        );
        let code = "a\n    // ANCHOR: t\n    fn t() {}\n    // ANCHOR_END: t\nb\n";
        assert_eq!(anchored(code, "t").as_deref(), Some("    fn t() {}\n"));
        assert_eq!(anchored(code, "u"), None);
    }

    #[test]
    fn code_blocks_are_found_with_their_info_and_body() {
        let text = "intro\n```rust\n{{#include a.rs:x}}\n```\n\n~~~~proto\nsyntax\n~~~~\n";
        let blocks = code_blocks(text);
        assert_eq!(blocks.len(), 2);
        assert_eq!(blocks[0].info, "rust");
        assert_eq!(blocks[0].body, ["{{#include a.rs:x}}"]);
        assert_eq!(blocks[1].line, 6);
        assert_eq!(blocks[1].body, ["syntax"]);
    }

    #[test]
    fn includes_are_found_with_and_without_anchor() {
        let found = includes("{{#include ../a.rs:step_1}} and {{#include b.proto}}");
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].path, "../a.rs");
        assert_eq!(found[0].anchor.as_deref(), Some("step_1"));
        assert_eq!(found[1].anchor, None);
    }

    #[test]
    fn links_in_code_spans_and_blocks_are_not_links() {
        let text = "[a](one.md) `[b](two.md)` ![c](img/three.svg)\n```\n[d](four.md)\n```\n";
        assert_eq!(link_targets(text), ["one.md", "img/three.svg"]);
    }

    #[test]
    fn manifest_values_read_one_section() {
        let manifest = "[package]\nname = \"x\"\n[[test]]\nname = \"a\"\npath = \"p\"\n[[test]]\nname = \"b\"\n";
        assert_eq!(manifest_values(manifest, "[package]", "name"), ["x"]);
        assert_eq!(manifest_values(manifest, "[[test]]", "name"), ["a", "b"]);
    }
}
