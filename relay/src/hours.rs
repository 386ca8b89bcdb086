//! Business hours: a weekly schedule in the store's time zone, such as
//! `mon-fri 09:00-18:00, sat 10:00-14:00`. Outside it the bot answers at once and says when the
//! team is back. Times are wall-clock times in the zone (jiff, with the bundled tz database), so
//! "09:00" stays 09:00 across daylight-saving changes.

use jiff::civil::{Time, Weekday};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan, Zoned};

const DAYS: [(&str, Weekday); 7] = [
    ("mon", Weekday::Monday),
    ("tue", Weekday::Tuesday),
    ("wed", Weekday::Wednesday),
    ("thu", Weekday::Thursday),
    ("fri", Weekday::Friday),
    ("sat", Weekday::Saturday),
    ("sun", Weekday::Sunday),
];

/// When a store's team is there.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    /// Opening intervals per weekday, Monday first.
    days: [Vec<(Time, Time)>; 7],
    zone: TimeZone,
}

fn day_index(name: &str) -> Result<usize, String> {
    DAYS.iter()
        .position(|(n, _)| *n == name.to_ascii_lowercase())
        .ok_or_else(|| format!("{name:?} is not a day (mon, tue, wed, thu, fri, sat, sun)"))
}

fn parse_time(text: &str) -> Result<Time, String> {
    let (h, m) = text.split_once(':').ok_or_else(|| format!("{text:?} is not a time (HH:MM, like 09:00)"))?;
    let (h, m): (i8, i8) = (
        h.parse().map_err(|_| format!("bad hour in {text:?}"))?,
        m.parse().map_err(|_| format!("bad minute in {text:?}"))?,
    );
    if h == 24 && m == 0 {
        return Ok(Time::MAX);
    }
    Time::new(h, m, 0, 0).map_err(|e| format!("{text:?}: {e}"))
}

impl Schedule {
    /// Parses `DAYS HH:MM-HH:MM[, …]` (days: `mon`, `mon-fri`, `sat-sun`; `24:00` ends a day) in
    /// the IANA time zone `zone`.
    pub fn parse(spec: &str, zone: &str) -> Result<Schedule, String> {
        let zone =
            TimeZone::get(zone).map_err(|_| format!("{zone:?} is not a time zone (for example Europe/Paris)"))?;
        let mut days: [Vec<(Time, Time)>; 7] = Default::default();
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (day_part, time_part) =
                part.split_once(' ').ok_or_else(|| format!("{part:?}: expected DAYS HH:MM-HH:MM"))?;
            let (first, last) = match day_part.split_once('-') {
                Some((a, b)) => (day_index(a)?, day_index(b)?),
                None => (day_index(day_part)?, day_index(day_part)?),
            };
            let (open, close) =
                time_part.trim().split_once('-').ok_or_else(|| format!("{part:?}: expected HH:MM-HH:MM"))?;
            let (open, close) = (parse_time(open)?, parse_time(close)?);
            if open >= close {
                return Err(format!("{part:?}: the closing time must come after the opening time"));
            }
            let mut day = first;
            loop {
                days[day].push((open, close));
                if day == last {
                    break;
                }
                day = (day + 1) % 7;
            }
        }
        if days.iter().all(Vec::is_empty) {
            return Err("the schedule has no opening hours".into());
        }
        Ok(Schedule { days, zone })
    }

    fn intervals(&self, weekday: Weekday) -> &[(Time, Time)] {
        &self.days[weekday.to_monday_zero_offset() as usize]
    }

    /// Whether the team is there at `at`.
    pub fn is_open(&self, at: Timestamp) -> bool {
        let local = at.to_zoned(self.zone.clone());
        let time = local.time();
        self.intervals(local.weekday()).iter().any(|(open, close)| *open <= time && time < *close)
    }

    /// The next opening at or after `at`, in the store's zone (within the coming week).
    pub fn next_opening(&self, at: Timestamp) -> Option<Zoned> {
        let local = at.to_zoned(self.zone.clone());
        (0..8).find_map(|offset| {
            let date = local.date().checked_add(offset.days()).ok()?;
            let mut openings: Vec<Zoned> = self
                .intervals(date.weekday())
                .iter()
                .filter_map(|(open, _)| date.to_datetime(*open).to_zoned(self.zone.clone()).ok())
                .filter(|start| start.timestamp() > at)
                .collect();
            openings.sort();
            openings.into_iter().next()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn schedules_parse_and_bad_ones_are_refused_with_the_reason() {
        assert!(Schedule::parse("mon-fri 09:00-18:00, sat 10:00-14:00", "Europe/Paris").is_ok());
        assert!(Schedule::parse("sun-mon 00:00-24:00", "UTC").is_ok());
        assert!(Schedule::parse("mon-fri 9-18", "UTC").unwrap_err().contains("HH:MM"));
        assert!(Schedule::parse("funday 09:00-10:00", "UTC").unwrap_err().contains("not a day"));
        assert!(Schedule::parse("mon 18:00-09:00", "UTC").unwrap_err().contains("after"));
        assert!(Schedule::parse("mon 09:00-18:00", "Mars/Olympus").unwrap_err().contains("time zone"));
        assert!(Schedule::parse("", "UTC").unwrap_err().contains("no opening"));
    }

    #[test]
    fn opening_hours_follow_the_store_time_zone() {
        let paris = Schedule::parse("mon-fri 09:00-18:00", "Europe/Paris").unwrap();
        let shanghai = Schedule::parse("mon-fri 09:00-18:00", "Asia/Shanghai").unwrap();
        // Wednesday 2026-01-14 08:30 UTC is 09:30 in Paris and 16:30 in Shanghai.
        assert!(paris.is_open(at("2026-01-14T08:30:00Z")));
        assert!(shanghai.is_open(at("2026-01-14T08:30:00Z")));
        // 11:00 UTC is 12:00 in Paris but 19:00 in Shanghai.
        assert!(paris.is_open(at("2026-01-14T11:00:00Z")));
        assert!(!shanghai.is_open(at("2026-01-14T11:00:00Z")));
        // Friday evening in Paris: back on Monday at 09:00 Paris time.
        let next = paris.next_opening(at("2026-01-16T18:30:00Z")).unwrap();
        assert_eq!(next.to_string(), "2026-01-19T09:00:00+01:00[Europe/Paris]");
    }

    #[test]
    fn nine_oclock_stays_nine_oclock_across_daylight_saving_changes() {
        let berlin = Schedule::parse("mon-sun 09:00-17:00", "Europe/Berlin").unwrap();
        // Clocks go forward on Sunday 2026-03-29: 09:00 is 08:00 UTC before, 07:00 UTC after.
        assert!(berlin.is_open(at("2026-03-28T08:00:00Z")));
        assert!(berlin.is_open(at("2026-03-29T07:30:00Z")), "09:30 CEST on the 29th is open");
        assert!(berlin.is_open(at("2026-03-29T07:00:00Z")));
        assert!(!berlin.is_open(at("2026-03-29T06:59:00Z")));
        let next = berlin.next_opening(at("2026-03-28T20:00:00Z")).unwrap();
        assert_eq!(next.timestamp(), at("2026-03-29T07:00:00Z"));
        // New York changes on another date (2026-03-08): Europe's rule does not apply there.
        let new_york = Schedule::parse("mon-sun 09:00-17:00", "America/New_York").unwrap();
        assert!(new_york.is_open(at("2026-03-09T13:00:00Z")), "09:00 EDT");
        assert!(!new_york.is_open(at("2026-03-07T13:30:00Z")), "08:30 EST");
    }
}
