//! Reading an FAQ file: a JSON array of articles, checked whole before anything is stored.
//!
//! Each object has `question` and `answer` (non-empty text), and optionally `id` (a string or
//! an integer, kept as given), `category` (text), `tags` (a list of text) and `language`
//! (`en`, `zh`, …; guessed from the text when absent). Unknown fields are ignored. The first
//! problem found is reported with the article's position (1-based) and the field at fault, and
//! the file is rejected whole.

use std::collections::HashMap;

use serde_json::Value;
use sha2::Digest;

use super::cjk::is_cjk;
use crate::store::Article;

/// Longest question accepted, in characters.
const MAX_QUESTION_CHARS: usize = 500;
/// Longest answer accepted, in characters.
const MAX_ANSWER_CHARS: usize = 20_000;
/// Longest category accepted, in characters.
pub const MAX_CATEGORY_CHARS: usize = 100;
/// Most tags one article may have.
pub const MAX_TAGS: usize = 20;
/// Longest tag accepted, in characters.
pub const MAX_TAG_CHARS: usize = 50;

/// Why a file was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    /// Not JSON at all.
    #[error("not valid JSON (line {line}, column {column}): {message}")]
    Malformed {
        /// 1-based line of the problem.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What the parser said.
        message: String,
    },
    /// JSON, but not an array of articles.
    #[error("the file must be a JSON array of articles")]
    NotAnArray,
    /// One article is wrong.
    #[error("article {position}: field {field:?} {problem}")]
    Field {
        /// 1-based position in the array.
        position: usize,
        /// The field at fault.
        field: &'static str,
        /// What is wrong with it.
        problem: String,
    },
    /// Two articles share an id.
    #[error("article {position}: id {id} is already used by article {first}")]
    DuplicateId {
        /// 1-based position of the second use.
        position: usize,
        /// 1-based position of the first.
        first: usize,
        /// The id, as JSON.
        id: String,
    },
}

/// Parses and checks a whole FAQ file.
pub fn parse(text: &str) -> Result<Vec<Article>, ImportError> {
    let value: Value = serde_json::from_str(text).map_err(|e| ImportError::Malformed {
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    let Value::Array(items) = value else { return Err(ImportError::NotAnArray) };
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut articles = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        let position = index + 1;
        let article = parse_article(position, item)?;
        if let Some(first) = seen.insert(article.id.clone(), position) {
            return Err(ImportError::DuplicateId { position, first, id: article.id_json });
        }
        articles.push(article);
    }
    Ok(articles)
}

/// Checks one article (as from the file or the HTTP API); `position` names it in errors.
pub fn parse_article(position: usize, item: &Value) -> Result<Article, ImportError> {
    let field = |field: &'static str, problem: &str| ImportError::Field { position, field, problem: problem.into() };
    let Value::Object(object) = item else { return Err(field("(article)", "must be a JSON object")) };
    let text = |name: &'static str, max: usize| -> Result<String, ImportError> {
        match object.get(name) {
            None | Some(Value::Null) => Err(field(name, "is missing")),
            Some(Value::String(s)) if s.trim().is_empty() => Err(field(name, "is empty")),
            Some(Value::String(s)) if s.chars().count() > max => {
                Err(field(name, &format!("is longer than {max} characters")))
            }
            Some(Value::String(s)) => Ok(s.trim().to_owned()),
            Some(_) => Err(field(name, "must be text")),
        }
    };
    let question = text("question", MAX_QUESTION_CHARS)?;
    let answer = text("answer", MAX_ANSWER_CHARS)?;
    let (id, id_json) = match object.get("id") {
        None | Some(Value::Null) => {
            // Derived from the question, so importing the same file again updates, not doubles.
            let digest = sha2::Sha256::digest(question.as_bytes());
            let id = format!("q-{}", digest.iter().take(6).map(|b| format!("{b:02x}")).collect::<String>());
            (id.clone(), Value::String(id).to_string())
        }
        Some(Value::String(s)) if !s.trim().is_empty() && s.len() <= 200 => {
            (s.clone(), Value::String(s.clone()).to_string())
        }
        Some(Value::Number(n)) if n.is_i64() || n.is_u64() => (n.to_string(), n.to_string()),
        Some(_) => return Err(field("id", "must be a non-empty string (up to 200 bytes) or an integer")),
    };
    let category = match object.get("category") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) if s.trim().chars().count() > MAX_CATEGORY_CHARS => {
            return Err(field("category", &format!("is longer than {MAX_CATEGORY_CHARS} characters")))
        }
        Some(Value::String(s)) => s.trim().to_owned(),
        Some(_) => return Err(field("category", "must be text")),
    };
    let tags = match object.get("tags") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(tags)) if tags.len() > MAX_TAGS => {
            return Err(field("tags", &format!("has {} tags; at most {MAX_TAGS} are allowed", tags.len())))
        }
        Some(Value::Array(tags)) => {
            let mut out = Vec::with_capacity(tags.len());
            for tag in tags {
                match tag {
                    Value::String(s) if s.trim().chars().count() > MAX_TAG_CHARS => {
                        return Err(field("tags", &format!("has a tag longer than {MAX_TAG_CHARS} characters")))
                    }
                    Value::String(s) if !s.trim().is_empty() => out.push(s.trim().to_owned()),
                    _ => return Err(field("tags", "must be a list of non-empty texts")),
                }
            }
            out
        }
        Some(_) => return Err(field("tags", "must be a list of texts")),
    };
    let language = match object.get("language") {
        None | Some(Value::Null) => guess_language(&question, &answer),
        Some(Value::String(s)) if !s.trim().is_empty() && s.len() <= 20 => s.trim().to_owned(),
        Some(_) => return Err(field("language", "must be a language code such as \"en\" or \"zh\"")),
    };
    Ok(Article { id, id_json, question, answer, category, tags, language })
}

/// `zh` when the text is written mostly in CJK characters, else `en`.
fn guess_language(question: &str, answer: &str) -> String {
    let text = format!("{question} {answer}");
    let cjk = text.chars().filter(|c| is_cjk(*c)).count();
    let letters = text.chars().filter(|c| c.is_alphabetic()).count();
    if cjk * 2 >= letters.max(1) { "zh" } else { "en" }.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_good_file_keeps_ids_as_given_and_ignores_unknown_fields() {
        let articles = parse(
            r#"[{"id":"ship-1","question":"How long is delivery?","answer":"3-5 days.","category":"Shipping","tags":["delivery"],"colour":"red"},
                {"id":17,"question":"多久能到货？","answer":"一般3到5天。"},
                {"question":"Do you gift wrap?","answer":"Yes."}]"#,
        )
        .unwrap();
        assert_eq!((articles[0].id.as_str(), articles[0].id_json.as_str()), ("ship-1", "\"ship-1\""));
        assert_eq!((articles[1].id.as_str(), articles[1].id_json.as_str()), ("17", "17"));
        assert_eq!(articles[1].language, "zh");
        assert_eq!(articles[0].language, "en");
        assert!(articles[2].id.starts_with("q-"), "a missing id is derived from the question");
        assert_eq!(parse(r#"[{"question":"Do you gift wrap?","answer":"No."}]"#).unwrap()[0].id, articles[2].id);
    }

    #[test]
    fn bad_files_name_the_place_and_field_at_fault() {
        assert!(matches!(parse("[{\"question\": "), Err(ImportError::Malformed { line: 1, .. })));
        assert_eq!(parse("{}"), Err(ImportError::NotAnArray));
        let missing = parse(r#"[{"question":"a","answer":"b"},{"answer":"no question"}]"#).unwrap_err();
        assert_eq!(missing.to_string(), "article 2: field \"question\" is missing");
        let wrong = parse(r#"[{"question":"a","answer":"b","tags":"x"}]"#).unwrap_err();
        assert_eq!(wrong.to_string(), "article 1: field \"tags\" must be a list of texts");
        let dup = parse(
            r#"[{"id":1,"question":"a","answer":"b"},{"id":"x","question":"c","answer":"d"},{"id":1,"question":"e","answer":"f"}]"#,
        );
        assert_eq!(dup.unwrap_err().to_string(), "article 3: id 1 is already used by article 1");
    }

    #[test]
    fn categories_and_tags_are_bounded() {
        let article = |category: String, tags: Vec<String>| {
            serde_json::json!([{ "question": "q", "answer": "a", "category": category, "tags": tags }]).to_string()
        };
        let long_category = parse(&article("x".repeat(1_000_000), vec![])).unwrap_err();
        assert_eq!(long_category.to_string(), "article 1: field \"category\" is longer than 100 characters");
        let many = parse(&article("ok".into(), vec!["t".into(); 900])).unwrap_err();
        assert_eq!(many.to_string(), "article 1: field \"tags\" has 900 tags; at most 20 are allowed");
        let long_tag = parse(&article("ok".into(), vec!["t".repeat(51)])).unwrap_err();
        assert_eq!(long_tag.to_string(), "article 1: field \"tags\" has a tag longer than 50 characters");
        assert!(parse(&article("好".repeat(100), vec!["标".repeat(50); 20])).is_ok(), "the limits count characters");
    }
}
