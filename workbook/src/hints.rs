//! Tiered hints, kept beside each lab in `labs/NN_topic/hints.md`.
//!
//! `workbook hint <lab>` shows the hint for the step the learner is on, one tier at a time:
//! the **concept** first (what idea the step is about, and where the chapter explains it),
//! then with `--api` the **API** (which types, functions and methods to reach for), then with
//! `--near` a **near-solution** (the shape of the code, with the last decisions left to the
//! learner). Each tier adds to the ones before it.
//!
//! # The format of `hints.md` (for lab authors)
//!
//! ````markdown
//! # Lab 3 hints: unary RPC
//!
//! Optional text before the first step, shown above every step's hints.
//!
//! ## Step 1: the store
//!
//! ### Concept
//!
//! Why a copy, why a read lock, ... Say which section of the chapter explains it.
//!
//! ### API
//!
//! `RwLock::read`, `BTreeMap::get`, `Option::cloned`, ...
//!
//! ### Near-solution
//!
//! ```rust
//! self.read().get(&id) /* ... one more call */
//! ```
//! ````
//!
//! The rules, which `cargo test` checks for every lab (`workbook/tests/hints.rs`):
//!
//! - one `## Step K` heading per step, in order, where `K` is the number in the starter's
//!   `// TODO(lab N, step K)` and `todo!("lab N, step K: ...")` markers. Every step that has a
//!   marker has a section, and every section has a marker. A title may follow: `## Step 1:
//!   the store`;
//! - each step has exactly three `###` sections, in this order: `### Concept`, `### API`,
//!   `### Near-solution`, none of them empty;
//! - no other `##` or `###` headings outside code blocks (use bold text or lists inside a
//!   section instead);
//! - the text is Markdown and is printed as it is, in a terminal: keep lines under 100
//!   characters and code in fenced blocks;
//! - a near-solution leaves something to do: show the shape and the key calls, not a
//!   finished body to paste. The reference is in `solutions/`, behind `workbook solution`.

use std::fmt;

/// A tier of hint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Tier {
    /// The idea behind the step.
    Concept,
    /// Which API to reach for.
    Api,
    /// Nearly the answer.
    NearSolution,
}

impl Tier {
    /// Every tier, first first.
    pub const ALL: [Tier; 3] = [Tier::Concept, Tier::Api, Tier::NearSolution];

    /// The heading of the tier's section.
    pub fn heading(self) -> &'static str {
        match self {
            Self::Concept => "Concept",
            Self::Api => "API",
            Self::NearSolution => "Near-solution",
        }
    }
}

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.heading())
    }
}

/// The hints of one step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepHints {
    /// The step number, as in the TODO markers.
    pub step: u32,
    /// The title after `## Step K:`, possibly empty.
    pub title: String,
    /// The three tiers' texts, in [`Tier::ALL`] order.
    pub tiers: [String; 3],
}

impl StepHints {
    /// The text of `tier`.
    pub fn text(&self, tier: Tier) -> &str {
        &self.tiers[tier as usize]
    }
}

/// A parsed `hints.md`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hints {
    /// The text before the first step.
    pub intro: String,
    /// The steps, in file order.
    pub steps: Vec<StepHints>,
}

impl Hints {
    /// The hints of `step`.
    pub fn step(&self, step: u32) -> Option<&StepHints> {
        self.steps.iter().find(|hints| hints.step == step)
    }
}

/// A step being read: its heading and the sections seen so far.
struct OpenStep {
    step: u32,
    title: String,
    line: usize,
    sections: Vec<(Tier, usize, Vec<String>)>,
}

/// Reads a `hints.md`, or lists every way it breaks the format (`line N: ...`).
pub fn parse(text: &str) -> Result<Hints, Vec<String>> {
    let mut problems = Vec::new();
    let mut intro = Vec::new();
    let mut steps: Vec<OpenStep> = Vec::new();
    let mut in_fence: Option<String> = None;

    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        let trimmed = line.trim_start();
        if let Some(fence) = in_fence.as_deref() {
            if trimmed.starts_with(fence) && trimmed[fence.len()..].trim().is_empty() {
                in_fence = None;
            }
        } else if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            let ch = trimmed.chars().next().unwrap_or('`');
            let len = trimmed.chars().take_while(|c| *c == ch).count();
            in_fence = Some(ch.to_string().repeat(len));
        } else if let Some(heading) = line.strip_prefix("### ") {
            match tier_named(heading.trim()) {
                None => problems.push(format!(
                    "line {number}: `### {}` is not a tier; the tiers are `### Concept`, \
                     `### API` and `### Near-solution`",
                    heading.trim()
                )),
                Some(tier) => match steps.last_mut() {
                    None => problems.push(format!(
                        "line {number}: `### {tier}` before the first `## Step K` heading"
                    )),
                    Some(open) => open.sections.push((tier, number, Vec::new())),
                },
            }
            continue;
        } else if let Some(heading) = line.strip_prefix("## ") {
            match step_heading(heading.trim()) {
                Some((step, title)) => steps.push(OpenStep {
                    step,
                    title,
                    line: number,
                    sections: Vec::new(),
                }),
                None => problems.push(format!(
                    "line {number}: `## {}` is not a step heading; write `## Step K` or \
                     `## Step K: title`",
                    heading.trim()
                )),
            }
            continue;
        }

        match steps.last_mut() {
            None => intro.push(line.to_owned()),
            Some(open) => match open.sections.last_mut() {
                Some((_, _, lines)) => lines.push(line.to_owned()),
                None if line.trim().is_empty() => {}
                None => problems.push(format!(
                    "line {number}: text under `## Step {}` before its `### Concept`",
                    open.step
                )),
            },
        }
    }

    let mut parsed = Vec::new();
    let mut previous: Option<u32> = None;
    for open in steps {
        if previous.is_some_and(|previous| open.step <= previous) {
            problems.push(format!(
                "line {}: step {} comes after step {}; list the steps once each, in order",
                open.line,
                open.step,
                previous.unwrap_or_default()
            ));
        }
        previous = Some(open.step);
        let found: Vec<Tier> = open.sections.iter().map(|(tier, _, _)| *tier).collect();
        if found != Tier::ALL {
            problems.push(format!(
                "line {}: step {} has the sections {:?}; it needs exactly Concept, API and \
                 Near-solution, in that order",
                open.line,
                open.step,
                found.iter().map(|t| t.heading()).collect::<Vec<_>>()
            ));
            continue;
        }
        let mut tiers: [String; 3] = Default::default();
        for (tier, line, lines) in open.sections {
            let text = lines.join("\n").trim().to_owned();
            if text.is_empty() {
                problems.push(format!(
                    "line {line}: step {}'s `### {tier}` is empty",
                    open.step
                ));
            }
            tiers[tier as usize] = text;
        }
        parsed.push(StepHints {
            step: open.step,
            title: open.title,
            tiers,
        });
    }
    if parsed.is_empty() && problems.is_empty() {
        problems.push("no `## Step K` section: the file has no hints".to_owned());
    }
    if problems.is_empty() {
        Ok(Hints {
            intro: strip_title(&intro),
            steps: parsed,
        })
    } else {
        Err(problems)
    }
}

/// The intro without its `# Title` line, trimmed.
fn strip_title(lines: &[String]) -> String {
    lines
        .iter()
        .filter(|line| !line.starts_with("# "))
        .cloned()
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_owned()
}

/// `Step 3: the handler` → (3, "the handler").
fn step_heading(heading: &str) -> Option<(u32, String)> {
    let rest = heading.strip_prefix("Step ")?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let step = digits.parse().ok()?;
    let title = rest[digits.len()..].trim_start_matches([':', ' ', '-', '—']);
    Some((step, title.trim().to_owned()))
}

fn tier_named(heading: &str) -> Option<Tier> {
    let lower = heading.to_lowercase();
    Tier::ALL.into_iter().find(|tier| {
        lower == tier.heading().to_lowercase()
            || (lower == "near solution" && *tier == Tier::NearSolution)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "# Lab 9 hints

Read the TODO first.

## Step 1: the store

### Concept

A copy under a read lock.

### API

`Option::cloned`.

### Near-solution

```rust
## not a heading inside code
self.read().get(&id)
```

## Step 2

### Concept
c2
### API
a2
### Near-solution
n2
";

    #[test]
    fn reads_steps_and_their_three_tiers() {
        let hints = parse(GOOD).unwrap();
        assert_eq!(hints.intro, "Read the TODO first.");
        assert_eq!(hints.steps.len(), 2);
        let first = hints.step(1).unwrap();
        assert_eq!(first.title, "the store");
        assert_eq!(first.text(Tier::Concept), "A copy under a read lock.");
        assert_eq!(first.text(Tier::Api), "`Option::cloned`.");
        assert_eq!(
            first.text(Tier::NearSolution),
            "```rust\n## not a heading inside code\nself.read().get(&id)\n```"
        );
        assert_eq!(hints.step(2).unwrap().title, "");
        assert_eq!(hints.step(2).unwrap().text(Tier::Api), "a2");
        assert!(hints.step(3).is_none());
    }

    #[test]
    fn reports_missing_misordered_and_empty_tiers_with_line_numbers() {
        let text = "## Step 1\n### API\nx\n### Concept\ny\n### Near-solution\nz\n\
                    ## Step 2\n### Concept\n\n### API\na\n### Near-solution\nn\n";
        let problems = parse(text).unwrap_err();
        assert_eq!(problems.len(), 2, "{problems:#?}");
        assert!(problems[0].starts_with("line 1: step 1 has the sections"));
        assert_eq!(problems[1], "line 9: step 2's `### Concept` is empty");
    }

    #[test]
    fn reports_unknown_headings_and_steps_out_of_order() {
        let text = "## Hints\n## Step 2\n### Concept\nc\n### API\na\n### Tip\n### Near-solution\nn\n\
                    ## Step 1\n### Concept\nc\n### API\na\n### Near-solution\nn\n";
        let problems = parse(text).unwrap_err();
        assert!(problems[0].starts_with("line 1: `## Hints` is not a step heading"));
        assert!(problems[1].starts_with("line 7: `### Tip` is not a tier"));
        assert!(problems[2].starts_with("line 10: step 1 comes after step 2"));
    }

    #[test]
    fn an_empty_file_has_no_hints() {
        assert!(parse("# Lab 1 hints\n").is_err());
    }
}
