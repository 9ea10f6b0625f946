//! Calibration inputs: what a user already has, one tensor per argument of
//! `@main`, in order.
//!
//! - `.npy`: one array (a model with one input);
//! - `.npz` (`numpy.savez`, compressed or not): one array per input, taken in
//!   the order of their names (`arr_0`, `arr_1`, ... for positional arrays;
//!   `0`, `1`, ... or any names that sort in argument order);
//! - `.json`: `{"inputs": [{"shape": [...], "data": [...]}, ...]}`.
//!
//! Arrays may be float32, float64, float16 or integer; they are read as f32.
//! An input's leading dim may be a multiple of the argument's (more rows
//! than the model's batch): the run then takes them batch by batch.

use crate::error::{Error, Result};
use crate::ir::exec::{self, Tensor};
use npyz::{DType, NpyFile, TypeChar};
use std::io::Read;

/// Reads the calibration inputs at `path`, by its extension.
pub fn read_inputs(path: &str) -> Result<Vec<Tensor>> {
    let inputs = match std::path::Path::new(path).extension().and_then(|e| e.to_str()) {
        Some("npy") => vec![read_npy(path, std::fs::File::open(path).map_err(|e| Error::io(path, e))?)?],
        Some("npz") => read_npz(path)?,
        _ => read_json(path)?,
    };
    if inputs.is_empty() {
        return Err(Error::io(path, "no calibration inputs in the file"));
    }
    Ok(inputs)
}

fn read_json(path: &str) -> Result<Vec<Tensor>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let json: serde_json::Value = serde_json::from_str(&text).map_err(|e| Error::io(path, e))?;
    let inputs = exec::read_tensors(&json, "inputs");
    if inputs.is_empty() {
        return Err(Error::io(path, "no \"inputs\" with \"shape\" and \"data\""));
    }
    for (i, t) in inputs.iter().enumerate() {
        if t.shape.iter().product::<i64>() != t.data.len() as i64 {
            return Err(Error::io(path, format!("input {i}: shape {:?} does not hold {} values", t.shape, t.data.len())));
        }
    }
    Ok(inputs)
}

fn read_npz(path: &str) -> Result<Vec<Tensor>> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut archive = zip::ZipArchive::new(std::io::BufReader::new(file)).map_err(|e| Error::io(path, e))?;
    let mut names: Vec<String> = archive.file_names().filter_map(|n| n.ok()).filter(|n| n.ends_with(".npy")).map(|n| n.into_owned()).collect();
    // `arr_10` after `arr_9`: numbers in names compare as numbers.
    names.sort_by_key(|n| natural_key(n));
    names
        .iter()
        .map(|name| {
            let entry = archive.by_name(name).map_err(|e| Error::io(path, e))?;
            read_npy(&format!("{path}:{name}"), entry)
        })
        .collect()
}

/// A sort key that orders the digit runs of a name by value.
fn natural_key(name: &str) -> Vec<(String, u64)> {
    let mut key = Vec::new();
    let mut text = String::new();
    let mut digits = String::new();
    for c in name.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
        } else {
            if !digits.is_empty() {
                key.push((std::mem::take(&mut text), digits.parse().unwrap_or(u64::MAX)));
                digits.clear();
            }
            text.push(c);
        }
    }
    key.push((text, digits.parse().unwrap_or(0)));
    key
}

/// One `.npy` array as an f32 tensor; `what` names it in errors.
fn read_npy(what: &str, reader: impl Read) -> Result<Tensor> {
    let npy = NpyFile::new(reader).map_err(|e| Error::io(what, e))?;
    if npy.order() == npyz::Order::Fortran {
        return Err(Error::io(what, "a Fortran-ordered array (save it C-contiguous, e.g. numpy.ascontiguousarray)"));
    }
    let shape: Vec<i64> = npy.shape().iter().map(|&d| d as i64).collect();
    let bad = |e: std::io::Error| Error::io(what, e);
    let DType::Plain(ty) = npy.dtype() else { return Err(Error::io(what, "a structured array, not numbers")) };
    let data: Vec<f32> = match (ty.type_char(), ty.size_field()) {
        (TypeChar::Float, 4) => npy.into_vec::<f32>().map_err(bad)?,
        (TypeChar::Float, 8) => npy.into_vec::<f64>().map_err(bad)?.into_iter().map(|x| x as f32).collect(),
        (TypeChar::Float, 2) => npy.into_vec::<half::f16>().map_err(bad)?.into_iter().map(|x| x.to_f32()).collect(),
        (TypeChar::Int, 4) => npy.into_vec::<i32>().map_err(bad)?.into_iter().map(|x| x as f32).collect(),
        (TypeChar::Int, 8) => npy.into_vec::<i64>().map_err(bad)?.into_iter().map(|x| x as f32).collect(),
        _ => return Err(Error::io(what, format!("unsupported dtype {}", ty))),
    };
    Ok(Tensor { shape, data })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `.npy` file as numpy writes it (format 1.0, little-endian).
    fn npy(descr: &str, shape: &[usize], payload: &[u8]) -> Vec<u8> {
        let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
        let shape = if dims.len() == 1 { format!("({},)", dims[0]) } else { format!("({})", dims.join(", ")) };
        let mut header = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
        while (10 + header.len() + 1) % 64 != 0 {
            header.push(' ');
        }
        header.push('\n');
        let mut out = b"\x93NUMPY\x01\x00".to_vec();
        out.extend_from_slice(&(header.len() as u16).to_le_bytes());
        out.extend_from_slice(header.as_bytes());
        out.extend_from_slice(payload);
        out
    }

    #[test]
    fn npy_float32_float64_and_float16_read_as_f32() {
        let f32s: Vec<u8> = [1.5f32, -2.0, 3.25, 0.0, 7.0, -1.0].iter().flat_map(|x| x.to_le_bytes()).collect();
        let t = read_npy("a.npy", npy("<f4", &[2, 3], &f32s).as_slice()).unwrap();
        assert_eq!(t, Tensor { shape: vec![2, 3], data: vec![1.5, -2.0, 3.25, 0.0, 7.0, -1.0] });
        let f64s: Vec<u8> = [0.5f64, 4.0].iter().flat_map(|x| x.to_le_bytes()).collect();
        assert_eq!(read_npy("b.npy", npy("<f8", &[2], &f64s).as_slice()).unwrap().data, vec![0.5, 4.0]);
        let f16s: Vec<u8> = [half::f16::from_f32(0.25), half::f16::from_f32(-3.0)].iter().flat_map(|x| x.to_le_bytes()).collect();
        assert_eq!(read_npy("c.npy", npy("<f2", &[1, 2], &f16s).as_slice()).unwrap().data, vec![0.25, -3.0]);
    }

    #[test]
    fn npy_refuses_what_it_cannot_read() {
        let e = read_npy("d.npy", npy("<c8", &[1], &[0; 8]).as_slice()).unwrap_err().to_string();
        assert!(e.contains("d.npy") && e.contains("unsupported dtype"), "{e}");
        let e = read_npy("e.npy", &b"not numpy"[..]).unwrap_err().to_string();
        assert!(e.contains("e.npy"), "{e}");
    }

    #[test]
    fn npz_arrays_come_in_argument_order() {
        let names = ["arr_10", "arr_2", "arr_0", "arr_1"];
        let mut sorted = names.to_vec();
        sorted.sort_by_key(|n| natural_key(n));
        assert_eq!(sorted, ["arr_0", "arr_1", "arr_2", "arr_10"]);
    }
}
