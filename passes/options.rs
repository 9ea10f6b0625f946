//! Pass options in MLIR's textual form: `key=value` pairs separated by
//! spaces, as in `--component-prune="ratio=0.4 grouping=vanilla"` or
//! `component-prune{ratio=0.4 grouping=vanilla}`. Values may be quoted or
//! braced to hold spaces. Every key is checked against the pass's table.

use crate::error::{Error, Result};
use std::collections::BTreeMap;

/// One option a pass accepts.
#[derive(Clone, Copy, Debug)]
pub struct OptionSpec {
    pub name: &'static str,
    /// Shown in `--help`: the accepted values.
    pub values: &'static str,
    pub default: &'static str,
    pub help: &'static str,
}

/// Options as given, checked against a pass's [`OptionSpec`] table.
#[derive(Clone, Debug, Default)]
pub struct OptionValues {
    pass: &'static str,
    values: BTreeMap<String, String>,
}

/// Splits `a=1 b="x y" c={p q}` into (key, value) pairs.
fn split_pairs(pass: &str, text: &str) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && chars[i] != '=' && !chars[i].is_whitespace() {
            i += 1;
        }
        let key: String = chars[start..i].iter().collect();
        if i >= chars.len() || chars[i] != '=' {
            return Err(Error::option(pass, format!("option '{key}' has no value (expected '{key}=VALUE')")));
        }
        i += 1; // '='
        let mut value = String::new();
        let mut depth = 0usize;
        let mut quote: Option<char> = None;
        while i < chars.len() {
            let c = chars[i];
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), c) => value.push(c),
                (None, '"') | (None, '\'') => quote = Some(c),
                (None, '{') => {
                    if depth > 0 {
                        value.push(c);
                    }
                    depth += 1;
                }
                (None, '}') => {
                    if depth == 0 {
                        return Err(Error::option(pass, format!("unbalanced '}}' in option '{key}'")));
                    }
                    depth -= 1;
                    if depth > 0 {
                        value.push(c);
                    }
                }
                (None, c) if c.is_whitespace() && depth == 0 => break,
                (None, c) => value.push(c),
            }
            i += 1;
        }
        if quote.is_some() || depth > 0 {
            return Err(Error::option(pass, format!("unterminated value of option '{key}'")));
        }
        if key.is_empty() {
            return Err(Error::option(pass, "empty option name"));
        }
        out.push((key, value));
    }
    Ok(out)
}

impl OptionValues {
    /// Parses `text` and checks every key against `specs`.
    pub fn parse(pass: &'static str, specs: &[OptionSpec], text: &str) -> Result<OptionValues> {
        let mut values = BTreeMap::new();
        for (key, value) in split_pairs(pass, text)? {
            if !specs.iter().any(|s| s.name == key) {
                let known: Vec<&str> = specs.iter().map(|s| s.name).collect();
                return Err(Error::option(
                    pass,
                    format!("unknown option '{key}' (known: {})", known.join(", ")),
                ));
            }
            if values.insert(key.clone(), value).is_some() {
                return Err(Error::option(pass, format!("option '{key}' given twice")));
            }
        }
        Ok(OptionValues { pass, values })
    }

    pub fn raw(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(|s| s.as_str())
    }

    fn bad(&self, name: &str, value: &str, expected: &str) -> Error {
        Error::option(self.pass, format!("option '{name}': '{value}' is not {expected}"))
    }

    pub fn f64_in(&self, name: &str, default: f64, lo: f64, hi_exclusive: f64) -> Result<f64> {
        let Some(v) = self.raw(name) else { return Ok(default) };
        let x: f64 = v.trim().parse().map_err(|_| self.bad(name, v, "a number"))?;
        if !(x >= lo && x < hi_exclusive) {
            return Err(self.bad(name, v, &format!("in [{lo}, {hi_exclusive})")));
        }
        Ok(x)
    }

    /// A number in `[lo, hi]`, both ends included.
    pub fn f64_between(&self, name: &str, default: f64, lo: f64, hi: f64) -> Result<f64> {
        let Some(v) = self.raw(name) else { return Ok(default) };
        let x: f64 = v.trim().parse().map_err(|_| self.bad(name, v, "a number"))?;
        if !(x >= lo && x <= hi) {
            return Err(self.bad(name, v, &format!("in [{lo}, {hi}]")));
        }
        Ok(x)
    }

    pub fn usize_at_least(&self, name: &str, default: usize, min: usize) -> Result<usize> {
        let Some(v) = self.raw(name) else { return Ok(default) };
        let x: usize = v.trim().parse().map_err(|_| self.bad(name, v, "a non-negative integer"))?;
        if x < min {
            return Err(self.bad(name, v, &format!("at least {min}")));
        }
        Ok(x)
    }

    pub fn choice<'a>(&self, name: &str, default: &'a str, choices: &[&'a str]) -> Result<&'a str> {
        let Some(v) = self.raw(name) else { return Ok(default) };
        choices
            .iter()
            .find(|c| **c == v.trim())
            .copied()
            .ok_or_else(|| self.bad(name, v, &format!("one of {}", choices.join("|"))))
    }

    /// A comma-separated list of names.
    pub fn list(&self, name: &str) -> Result<Vec<String>> {
        let Some(v) = self.raw(name) else { return Ok(Vec::new()) };
        let items: Vec<String> = v.split(',').map(|s| s.trim().to_string()).collect();
        if items.iter().any(|s| s.is_empty()) {
            return Err(self.bad(name, v, "a comma-separated list of names"));
        }
        Ok(items)
    }

    /// A comma-separated list of `name:number`.
    pub fn weights(&self, name: &str) -> Result<Vec<(String, f64)>> {
        let Some(v) = self.raw(name) else { return Ok(Vec::new()) };
        v.split(',')
            .map(|item| {
                let (n, w) = item.split_once(':').ok_or_else(|| self.bad(name, v, "a list of NAME:WEIGHT"))?;
                let w: f64 = w.trim().parse().map_err(|_| self.bad(name, v, "a list of NAME:WEIGHT"))?;
                if n.trim().is_empty() || !w.is_finite() || w < 0.0 {
                    return Err(self.bad(name, v, "a list of NAME:WEIGHT with weights >= 0"));
                }
                Ok((n.trim().to_string(), w))
            })
            .collect()
    }

    /// A file path; empty means not given.
    pub fn path(&self, name: &str) -> Option<String> {
        self.raw(name).map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPECS: &[OptionSpec] = &[
        OptionSpec { name: "ratio", values: "F", default: "0", help: "" },
        OptionSpec { name: "protect", values: "a,b", default: "", help: "" },
        OptionSpec { name: "report", values: "FILE", default: "", help: "" },
    ];

    #[test]
    fn splits_quoted_and_braced_values() {
        let v = OptionValues::parse("p", SPECS, r#"ratio=0.5 protect={a,b} report="x y.json""#).unwrap();
        assert_eq!(v.raw("ratio"), Some("0.5"));
        assert_eq!(v.list("protect").unwrap(), vec!["a", "b"]);
        assert_eq!(v.path("report").as_deref(), Some("x y.json"));
    }

    #[test]
    fn rejects_unknown_and_malformed() {
        let e = OptionValues::parse("p", SPECS, "ratios=1").unwrap_err().to_string();
        assert!(e.contains("unknown option 'ratios'"), "{e}");
        let e = OptionValues::parse("p", SPECS, "ratio").unwrap_err().to_string();
        assert!(e.contains("has no value"), "{e}");
        let e = OptionValues::parse("p", SPECS, "ratio={0.5").unwrap_err().to_string();
        assert!(e.contains("unterminated"), "{e}");
        let v = OptionValues::parse("p", SPECS, "ratio=1.5").unwrap();
        let e = v.f64_in("ratio", 0.0, 0.0, 1.0).unwrap_err().to_string();
        assert!(e.contains("in [0, 1)"), "{e}");
    }
}
