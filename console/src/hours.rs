//! Business hours as a week for the Settings page's editor, and back to the relay's text form
//! (`mon-fri 09:00-17:00, sat 10:00-14:00`). Pure, so it is tested on the host; the relay checks
//! the result again when it is saved.

/// The days in the relay's spelling, Monday first.
pub const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// Opening and closing times (`HH:MM`) of each day, Monday first; an empty day is closed.
pub type Week = [Vec<(String, String)>; 7];

fn day(name: &str) -> Option<usize> {
    DAYS.iter().position(|d| d.eq_ignore_ascii_case(name.trim()))
}

fn time(text: &str) -> Option<String> {
    let (h, m) = text.trim().split_once(':')?;
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60 || h == 24 && m == 0).then(|| format!("{h:02}:{m:02}"))
}

/// The week a spec describes; none when it is not one the editor can show faithfully.
pub fn parse_week(spec: &str) -> Option<Week> {
    let mut week: Week = Default::default();
    for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (days, times) = part.split_once(' ')?;
        let (first, last) = match days.split_once('-') {
            Some((a, b)) => (day(a)?, day(b)?),
            None => (day(days)?, day(days)?),
        };
        let (open, close) = times.trim().split_once('-')?;
        let range = (time(open)?, time(close)?);
        let mut d = first;
        loop {
            week[d].push(range.clone());
            if d == last {
                break;
            }
            d = (d + 1) % 7;
        }
    }
    Some(week)
}

/// The spec of a week, consecutive days with the same hours joined (`mon-fri`); none when every
/// day is closed (the store then has no business hours: always open when someone is online).
pub fn format_week(week: &Week) -> Option<String> {
    let mut parts = Vec::new();
    let mut d = 0;
    while d < 7 {
        if week[d].is_empty() {
            d += 1;
            continue;
        }
        let mut last = d;
        while last + 1 < 7 && week[last + 1] == week[d] {
            last += 1;
        }
        let days = if last == d { DAYS[d].to_owned() } else { format!("{}-{}", DAYS[d], DAYS[last]) };
        parts.extend(week[d].iter().map(|(open, close)| format!("{days} {open}-{close}")));
        d = last + 1;
    }
    (!parts.is_empty()).then(|| parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spec_becomes_a_week_and_back_with_equal_days_joined() {
        let week = parse_week("mon-fri 09:00-17:00, sat 10:00-14:00").unwrap();
        assert_eq!(week[0], vec![("09:00".to_owned(), "17:00".to_owned())]);
        assert!(week[6].is_empty(), "Sunday closed");
        assert_eq!(format_week(&week).as_deref(), Some("mon-fri 09:00-17:00, sat 10:00-14:00"));
    }

    #[test]
    fn split_days_wrapping_weeks_and_closed_weeks() {
        let week = parse_week("mon 9:00-12:00, mon 13:00-18:00, sat-sun 10:00-24:00").unwrap();
        assert_eq!(week[0].len(), 2);
        assert_eq!(format_week(&week).as_deref(), Some("mon 09:00-12:00, mon 13:00-18:00, sat-sun 10:00-24:00"));
        let wrapping = parse_week("fri-mon 10:00-16:00").unwrap();
        assert_eq!(format_week(&wrapping).as_deref(), Some("mon 10:00-16:00, fri-sun 10:00-16:00"));
        assert_eq!(format_week(&Default::default()), None);
        assert!(parse_week("weekdays 9-5").is_none(), "not a spec the editor can show");
        assert!(parse_week("mon 25:00-26:00").is_none());
    }
}
