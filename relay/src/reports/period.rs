//! A report's period in the store's time zone: today, the last 7 or 30 days, or custom dates,
//! each day from local midnight to the next (23 or 25 hours on a daylight-saving change).

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};

/// The longest custom period, in days.
pub const MAX_DAYS: i64 = 366;

/// A period of whole days in a time zone.
#[derive(Debug, Clone)]
pub struct Period {
    /// Its first day.
    pub from: Date,
    /// Its last day (included).
    pub to: Date,
    /// The zone days are counted in.
    pub zone: TimeZone,
}

impl Period {
    /// Reads `period` (`today`, `7d`, `30d` or `custom` with `from` and `to` as `YYYY-MM-DD`)
    /// at `now` in `zone`.
    pub fn parse(
        period: &str,
        from: Option<&str>,
        to: Option<&str>,
        zone: TimeZone,
        now: Timestamp,
    ) -> Result<Period, String> {
        let today = now.to_zoned(zone.clone()).date();
        let back = |days: i64| today.checked_sub(days.days()).map_err(|e| e.to_string());
        let (from, to) = match period {
            "today" => (today, today),
            "7d" => (back(6)?, today),
            "30d" => (back(29)?, today),
            "custom" => {
                let day = |d: Option<&str>, name: &str| {
                    d.ok_or_else(|| format!("a custom period needs {name}=YYYY-MM-DD"))?
                        .parse::<Date>()
                        .map_err(|_| format!("{name} is not a date (YYYY-MM-DD)"))
                };
                (day(from, "from")?, day(to, "to")?)
            }
            other => return Err(format!("{other:?} is not a period: today, 7d, 30d or custom")),
        };
        if to < from {
            return Err("the period ends before it starts".into());
        }
        let days = from.until(to).map_err(|e| e.to_string())?.get_days();
        if i64::from(days) >= MAX_DAYS {
            return Err(format!("a period is at most {MAX_DAYS} days"));
        }
        Ok(Period { from, to, zone })
    }

    /// The first millisecond of a day, in the zone.
    fn start_of(&self, day: Date) -> Result<i64, String> {
        let zoned = day.to_zoned(self.zone.clone()).map_err(|e| e.to_string())?;
        let start = zoned.start_of_day().map_err(|e| e.to_string())?;
        Ok(start.timestamp().as_millisecond())
    }

    /// `[start, end)` in ms.
    pub fn bounds(&self) -> Result<(i64, i64), String> {
        let after = self.to.tomorrow().map_err(|e| e.to_string())?;
        Ok((self.start_of(self.from)?, self.start_of(after)?))
    }

    /// Every day of the period, with its `[start, end)` in ms.
    pub fn days(&self) -> Result<Vec<(Date, i64, i64)>, String> {
        let mut days = Vec::new();
        let mut day = self.from;
        while day <= self.to {
            let next = day.tomorrow().map_err(|e| e.to_string())?;
            days.push((day, self.start_of(day)?, self.start_of(next)?));
            day = next;
        }
        Ok(days)
    }

    /// The weekday (0 = Monday) and hour of an instant, in the zone.
    pub fn weekday_hour(&self, ms: i64) -> Option<(usize, usize)> {
        let zoned = Timestamp::from_millisecond(ms).ok()?.to_zoned(self.zone.clone());
        let weekday = zoned.weekday().to_monday_zero_offset() as usize;
        Some((weekday, zoned.hour() as usize))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paris() -> TimeZone {
        TimeZone::get("Europe/Paris").unwrap()
    }

    #[test]
    fn a_daylight_saving_day_is_23_or_25_hours_long() {
        let now: Timestamp = "2026-04-01T12:00:00Z".parse().unwrap();
        let spring = Period::parse("custom", Some("2026-03-29"), Some("2026-03-29"), paris(), now).unwrap();
        let (start, end) = spring.bounds().unwrap();
        assert_eq!(end - start, 23 * 3_600_000);
        let autumn = Period::parse("custom", Some("2026-10-25"), Some("2026-10-25"), paris(), now).unwrap();
        let (start, end) = autumn.bounds().unwrap();
        assert_eq!(end - start, 25 * 3_600_000);
        // Midnight in Paris on 25 October (still summer time) is 22:00 UTC the day before.
        assert_eq!(Timestamp::from_millisecond(start).unwrap().to_string(), "2026-10-24T22:00:00Z");
    }

    #[test]
    fn last_seven_days_end_today_in_the_stores_zone() {
        // 23:30 UTC on 1 June is already 2 June in Paris.
        let now: Timestamp = "2026-06-01T23:30:00Z".parse().unwrap();
        let week = Period::parse("7d", None, None, paris(), now).unwrap();
        assert_eq!((week.from.to_string(), week.to.to_string()), ("2026-05-27".into(), "2026-06-02".into()));
        assert_eq!(week.days().unwrap().len(), 7);
        let today = Period::parse("today", None, None, TimeZone::UTC, now).unwrap();
        assert_eq!(today.from.to_string(), "2026-06-01");
    }

    #[test]
    fn bad_periods_are_refused_with_a_reason() {
        let now = Timestamp::now();
        assert!(Period::parse("week", None, None, TimeZone::UTC, now).unwrap_err().contains("not a period"));
        assert!(Period::parse("custom", Some("2026-02-30"), Some("2026-03-01"), TimeZone::UTC, now).is_err());
        assert!(Period::parse("custom", Some("2026-03-02"), Some("2026-03-01"), TimeZone::UTC, now)
            .unwrap_err()
            .contains("ends before"));
        assert!(Period::parse("custom", Some("2020-01-01"), Some("2026-01-01"), TimeZone::UTC, now)
            .unwrap_err()
            .contains("at most"));
        let hour = Period::parse("today", None, None, TimeZone::UTC, now).unwrap();
        assert!(hour.weekday_hour(0).is_some_and(|(d, h)| d == 3 && h == 0), "1970-01-01 was a Thursday");
    }
}
