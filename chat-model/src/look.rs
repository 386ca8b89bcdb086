//! How the widget looks with a store's colour: the text colour that stays readable on it. The
//! relay tells the widget and the loader; the console's settings preview computes it as the
//! owner picks a colour.

/// Whether `text` is a widget colour (`#rrggbb`): the relay accepts only those, and the console's
/// preview draws only those.
pub fn is_colour(text: &str) -> bool {
    text.strip_prefix('#').is_some_and(|hex| hex.len() == 6 && hex.chars().all(|c| c.is_ascii_hexdigit()))
}

/// The text colour that reads best on a widget colour (`#rrggbb`): white, or the widget's
/// near-black, whichever has the higher WCAG contrast. The relay gives it to the widget and
/// the loader (so neither carries the arithmetic); the console's preview uses it directly.
pub fn text_on(colour: &str) -> &'static str {
    let channel = |i: usize| {
        let c = f64::from(colour.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()).unwrap_or(0)) / 255.0;
        if c <= 0.04045 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    let luminance = 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
    // #1d1d1f has a relative luminance of about 0.012.
    if 1.05 / (luminance + 0.05) >= (luminance + 0.05) / 0.062 {
        "#fff"
    } else {
        "#1d1d1f"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_on_the_accent_stays_readable() {
        assert_eq!(text_on("#1f5eff"), "#fff");
        assert_eq!(text_on("#0a7d5a"), "#fff");
        assert_eq!(text_on("#ffd400"), "#1d1d1f");
        assert_eq!(text_on("#f5f5f5"), "#1d1d1f");
        assert_eq!(text_on("#zz"), "#fff");
    }
}
