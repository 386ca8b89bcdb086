//! How the FAQ ranking's weights and thresholds were chosen (relay/src/faq/ranked.rs): every
//! combination of the lexical and script weights, and for each the bot's threshold and margin
//! that answer the most development questions rightly at twice the cost of a wrong answer.
//! `PARLEY_FAQ_MODEL=… cargo run --release --example faq_tune` (not part of the benchmark).

use std::sync::Arc;

use anyhow::{Context, Result};
use relay::faq::ranked::{combine, Candidate};
use relay::faq::{quality, semantic::Semantic, Faq};

/// Scores of one question's candidates under some weights, best first, with whether each is
/// in Chinese script.
fn ranked(candidates: &[Candidate], lexical: f32, script: f32) -> Vec<(f32, &str, bool)> {
    let mut scored: Vec<(f32, &str, bool)> = candidates
        .iter()
        .map(|c| {
            let cjk = c.article.question.chars().any(relay::faq::cjk::is_cjk);
            (combine(c.cosine, c.coverage, c.same_script, lexical, script), c.article.id.as_str(), cjk)
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    scored
}

fn main() -> Result<()> {
    let model = std::env::var("PARLEY_FAQ_MODEL").context("PARLEY_FAQ_MODEL names the model")?;
    let set = quality::dev_set()?;
    let demo = relay::faq::import::parse(include_str!("../relay/faq/demo.json"))?;
    let faq = Faq::ranked_by(Some(Arc::new(Semantic::load(std::path::Path::new(&model))?)))?;
    faq.replace_store(1, &demo)?;
    let all: Vec<Vec<Candidate>> = set.iter().map(|q| faq.candidates_in_parts(1, &q.q).unwrap_or_default()).collect();
    println!("lexical script | top-1 top-3 | best bot threshold, margin: right wrong");
    for lexical in [0.0f32, 0.02, 0.05, 0.1] {
        for script in [0.0f32, 0.02, 0.05] {
            let (mut top1, mut top3) = (0, 0);
            for (question, candidates) in set.iter().zip(&all) {
                let Some(right) = question.article.as_deref() else { continue };
                let scored = ranked(candidates, lexical, script);
                top1 += usize::from(scored.first().is_some_and(|s| s.1 == right));
                top3 += usize::from(scored.iter().take(3).any(|s| s.1 == right));
            }
            let mut best = (i32::MIN, 0.0, 0.0, 0, 0);
            for threshold in (800..950).step_by(5).map(|t| t as f32 / 1000.0) {
                for margin in [0.0f32, 0.005, 0.01, 0.015, 0.02, 0.03] {
                    let (mut right, mut wrong) = (0, 0);
                    for (question, candidates) in set.iter().zip(&all) {
                        let scored = ranked(candidates, lexical, script);
                        let Some(first) = scored.first() else { continue };
                        let next = scored.iter().skip(1).find(|s| s.2 == first.2).map_or(0.0, |s| s.0);
                        if first.0 >= threshold && first.0 - next >= margin {
                            if question.article.as_deref() == Some(first.1) {
                                right += 1;
                            } else {
                                wrong += 1;
                            }
                        }
                    }
                    if right - 2 * wrong > best.0 {
                        best = (right - 2 * wrong, threshold, margin, right, wrong);
                    }
                }
            }
            println!(
                "{lexical:>7.2} {script:>6.2} | {top1:>5} {top3:>5} | {:.3}, {:.3}: {} {}",
                best.1, best.2, best.3, best.4
            );
        }
    }
    Ok(())
}
