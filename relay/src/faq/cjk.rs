//! A tokenizer for Chinese, Japanese and Korean text: overlapping character bigrams.
//!
//! These scripts are written without spaces, so word tokenizers see a whole sentence as one
//! "word". Bigrams ("多久能到货" → 多久, 久能, 能到, 到货) need no dictionary, match any phrase a
//! shopper types, and rank well with BM25 on short texts such as FAQ entries. A lone character
//! between other scripts is kept as a unigram. Everything that is not CJK is skipped: the
//! English analyzer indexes it.

use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

/// The bigram tokenizer (register it under a name with tantivy's tokenizer manager).
#[derive(Clone, Copy, Debug, Default)]
pub struct CjkBigrams;

/// The tokens of one text, computed up front (FAQ texts are short).
pub struct CjkTokens {
    tokens: Vec<Token>,
    next: usize,
}

/// Whether `c` belongs to a script written without spaces between words.
pub fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{3040}'..='\u{30FF}'     // Hiragana, Katakana
        | '\u{3400}'..='\u{4DBF}'   // CJK Extension A
        | '\u{4E00}'..='\u{9FFF}'   // CJK Unified Ideographs
        | '\u{AC00}'..='\u{D7AF}'   // Hangul syllables
        | '\u{F900}'..='\u{FAFF}'   // CJK Compatibility Ideographs
        | '\u{20000}'..='\u{2A6DF}') // CJK Extension B
}

impl Tokenizer for CjkBigrams {
    type TokenStream<'a> = CjkTokens;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> CjkTokens {
        let mut tokens = Vec::new();
        let mut run: Vec<(usize, char)> = Vec::new();
        let mut flush = |run: &mut Vec<(usize, char)>| {
            let grams: Vec<&[(usize, char)]> = if run.len() == 1 { vec![&run[..]] } else { run.windows(2).collect() };
            for gram in grams {
                let from = gram[0].0;
                let last = gram[gram.len() - 1];
                let to = last.0 + last.1.len_utf8();
                tokens.push(Token {
                    offset_from: from,
                    offset_to: to,
                    position: tokens.len(),
                    text: text[from..to].to_owned(),
                    position_length: 1,
                });
            }
            run.clear();
        };
        for (at, c) in text.char_indices() {
            if is_cjk(c) {
                run.push((at, c));
            } else if !run.is_empty() {
                flush(&mut run);
            }
        }
        if !run.is_empty() {
            flush(&mut run);
        }
        CjkTokens { tokens, next: 0 }
    }
}

impl TokenStream for CjkTokens {
    fn advance(&mut self) -> bool {
        self.next += 1;
        self.next <= self.tokens.len()
    }

    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next - 1]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(text: &str) -> Vec<String> {
        let mut tokenizer = CjkBigrams;
        let mut stream = tokenizer.token_stream(text);
        let mut out = Vec::new();
        while stream.advance() {
            out.push(stream.token().text.clone());
        }
        out
    }

    #[test]
    fn chinese_runs_become_bigrams_and_other_scripts_are_skipped() {
        assert_eq!(tokens("多久能到货?"), ["多久", "久能", "能到", "到货"]);
        assert_eq!(tokens("XL 码 fits"), ["码"]);
        assert_eq!(tokens("退货 and 退款"), ["退货", "退款"]);
        assert!(tokens("Where is my order?").is_empty());
    }
}
