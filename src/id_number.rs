//! Resident ID numbers (GB 11643-1999). PLACEHOLDER API: being implemented.

use chrono::NaiveDate;

/// A validated 18-character resident ID number (check character upper-case).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct IdNumber(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("not implemented")]
    Todo,
}

impl IdNumber {
    pub fn parse(_s: &str) -> Result<IdNumber, IdError> {
        Err(IdError::Todo)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn masked(&self) -> String {
        certpoint_protocol::mask_id_number(&self.0)
    }
    pub fn birth_date(&self) -> NaiveDate {
        todo!()
    }
    pub fn age_on(&self, _date: NaiveDate) -> u32 {
        todo!()
    }
}

impl std::fmt::Debug for IdNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "IdNumber({})", self.masked())
    }
}
