//! Rules for values people type, in one place, so that the socket, the HTTP API and the command
//! line accept and refuse the same things.

/// Most conversations one agent may handle at once.
pub const MAX_CAPACITY: u32 = 50;

/// Checks an agent's capacity: 1 to [`MAX_CAPACITY`] conversations.
pub fn capacity(value: u32) -> Result<usize, String> {
    if (1..=MAX_CAPACITY).contains(&value) {
        Ok(value as usize)
    } else {
        Err(format!("capacity must be 1 to {MAX_CAPACITY}"))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn capacity_is_one_to_fifty() {
        assert_eq!(super::capacity(1), Ok(1));
        assert_eq!(super::capacity(50), Ok(50));
        assert_eq!(super::capacity(0).unwrap_err(), "capacity must be 1 to 50");
        assert!(super::capacity(1_000_000).is_err());
    }
}
