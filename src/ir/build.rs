//! Small op builders shared by the phases that insert ops (the rewrite's
//! channel reordering, the normalization of TOSA gathers): each builds a
//! detached op, inserts it before `anchor`, at `anchor`'s location, and
//! returns its result.

use super::{Attribute, Op, Type, Value};

/// `source` reshaped to `shape` (same elements, in the same order), in
/// `anchor`'s dialect: `tosa.reshape` for TOSA, `tensor.reshape` otherwise.
pub fn reshape(anchor: Op, source: Value, shape: &[i64]) -> Option<Value> {
    let ctx = anchor.context();
    let ty = source.ty().ranked_tensor_like(shape);
    let op = if anchor.dialect() == "tosa" {
        let shape_value = tosa_shape(anchor, shape)?;
        Op::build("tosa.reshape", anchor.location(), &[source, shape_value], &[ty], &[])
    } else {
        let list: Vec<String> = shape.iter().map(|v| v.to_string()).collect();
        let shape_ty = Type::parse(ctx, &format!("tensor<{}xi64>", shape.len()))?;
        let value = Attribute::parse(ctx, &format!("dense<[{}]> : tensor<{}xi64>", list.join(", "), shape.len()))?;
        let constant = Op::build("arith.constant", anchor.location(), &[], &[shape_ty], &[("value", value)]);
        constant.insert_before(anchor);
        Op::build("tensor.reshape", anchor.location(), &[source, constant.result(0)], &[ty], &[])
    };
    op.insert_before(anchor);
    Some(op.result(0))
}

/// A `tosa.const_shape` holding `values`.
pub fn tosa_shape(anchor: Op, values: &[i64]) -> Option<Value> {
    let ctx = anchor.context();
    let rank = values.len();
    let list: Vec<String> = values.iter().map(|v| v.to_string()).collect();
    let attr = Attribute::parse(ctx, &format!("dense<[{}]> : tensor<{rank}xindex>", list.join(", ")))?;
    let ty = Type::parse(ctx, &format!("!tosa.shape<{rank}>"))?;
    let shape = Op::build("tosa.const_shape", anchor.location(), &[], &[ty], &[("values", attr)]);
    shape.insert_before(anchor);
    Some(shape.result(0))
}

/// A `tosa.const` of type `ty` (a static integer tensor) holding `values`
/// in row-major order.
pub fn tosa_int_constant(anchor: Op, ty: Type, values: &[i64]) -> Option<Value> {
    let shape = ty.static_shape()?;
    if shape.iter().product::<i64>() != values.len() as i64 {
        return None;
    }
    let attr = Attribute::parse(anchor.context(), &format!("dense<{}> : {ty}", nested(&shape, values)))?;
    let constant = Op::build("tosa.const", anchor.location(), &[], &[ty], &[("values", attr)]);
    constant.insert_before(anchor);
    Some(constant.result(0))
}

/// `values` as a nested literal of `shape` (`[[1, 2], [3, 4]]`), as the
/// elements parser wants it.
fn nested(shape: &[i64], values: &[i64]) -> String {
    match shape.split_first() {
        None => values.first().map(|v| v.to_string()).unwrap_or_default(),
        Some((&n, rest)) => {
            let chunk = values.len() / n.max(1) as usize;
            let parts: Vec<String> =
                (0..n as usize).map(|i| nested(rest, &values[i * chunk..(i + 1) * chunk])).collect();
            format!("[{}]", parts.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::nested;

    #[test]
    fn nests_values_by_shape() {
        assert_eq!(nested(&[1, 3], &[4, 5, 6]), "[[4, 5, 6]]");
        assert_eq!(nested(&[2, 2], &[1, 2, 3, 4]), "[[1, 2], [3, 4]]");
        assert_eq!(nested(&[], &[7]), "7");
    }
}
