//! The on/off settings: one table of the variables and the setting each makes.

use super::MysqlConfig;
use crate::Error;

/// A variable that is `on` or `off`.
pub(super) struct Switch {
    pub(super) variable: &'static str,
    apply: fn(&mut MysqlConfig, bool),
}

impl Switch {
    /// Parses `text` and makes the setting, or says what the variable accepts.
    pub(super) fn set(&self, config: &mut MysqlConfig, text: &str) -> Result<(), Error> {
        let on = match text {
            "on" => true,
            "off" => false,
            _ => {
                let problem = format!("must be on or off, not {text:?}");
                return Err(Error::config(self.variable, problem));
            }
        };
        (self.apply)(config, on);
        Ok(())
    }
}

/// The on/off variables.
pub(super) const SWITCHES: &[Switch] = &[Switch {
    variable: "DB_COALESCE",
    apply: |config, on| config.coalesce = on,
}];
