//! IR access: small `Copy` handles over the MLIR C API.
//!
//! melior's safe wrappers tie every handle to a borrow of its parent, which is
//! right for building IR but makes whole-module analyses (tables indexed by op
//! and value, graphs over them) awkward. The analysis and the rewrite therefore
//! work on these plain handles instead. They are valid as long as the
//! [`melior::Context`] that owns the IR is alive and the IR they point to has
//! not been erased; every pass in this crate holds a module (and so its context)
//! for the whole time it uses them.
//!
//! Strings returned by these handles (`Op::name`, `Attribute::string_value`,
//! ...) point into the context's uniqued storage and live as long as the
//! context; they are handed out as `&'static str` for that reason.

pub mod dense;
pub mod describe;
pub mod exec;
pub mod location;

use mlir_sys::*;
use std::ffi::c_void;
use std::fmt;

/// Builds an `MlirStringRef` that borrows `s` for the duration of a call.
pub(crate) fn sref(s: &str) -> MlirStringRef {
    MlirStringRef {
        data: s.as_ptr() as *const _,
        length: s.len(),
    }
}

/// Reads an `MlirStringRef` that points into context-owned storage.
pub(crate) fn context_str(s: MlirStringRef) -> &'static str {
    if s.data.is_null() || s.length == 0 {
        return "";
    }
    // SAFETY: MLIR identifiers and string attributes are uniqued in the
    // context and outlive every use in this crate (see the module comment).
    let bytes = unsafe { std::slice::from_raw_parts(s.data as *const u8, s.length) };
    std::str::from_utf8(bytes).unwrap_or("<non-utf8>")
}

/// `MlirStringCallback` that appends to a `Vec<u8>`.
pub(crate) unsafe extern "C" fn append_to_vec(s: MlirStringRef, user: *mut c_void) {
    // SAFETY: `user` is always a `&mut Vec<u8>` supplied by the caller below.
    let buf = unsafe { &mut *(user as *mut Vec<u8>) };
    if !s.data.is_null() {
        buf.extend_from_slice(unsafe { std::slice::from_raw_parts(s.data as *const u8, s.length) });
    }
}

/// Runs a printing C function into a `String`.
pub(crate) fn print_to_string(f: impl FnOnce(MlirStringCallback, *mut c_void)) -> String {
    let mut buf: Vec<u8> = Vec::new();
    f(Some(append_to_vec), &mut buf as *mut Vec<u8> as *mut c_void);
    String::from_utf8_lossy(&buf).into_owned()
}

macro_rules! handle {
    ($(#[$doc:meta])* $name:ident, $raw:ty) => {
        $(#[$doc])*
        #[derive(Clone, Copy)]
        pub struct $name(pub $raw);
        impl $name {
            pub fn raw(self) -> $raw { self.0 }
            pub fn is_null(self) -> bool { self.0.ptr.is_null() }
            fn key(self) -> usize { self.0.ptr as usize }
        }
        impl PartialEq for $name { fn eq(&self, o: &Self) -> bool { self.key() == o.key() } }
        impl Eq for $name {}
        impl std::hash::Hash for $name {
            fn hash<H: std::hash::Hasher>(&self, h: &mut H) { self.key().hash(h) }
        }
        impl PartialOrd for $name {
            fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> { Some(self.cmp(o)) }
        }
        impl Ord for $name {
            // Pointer order: only for use as a map key, never for output order.
            fn cmp(&self, o: &Self) -> std::cmp::Ordering { self.key().cmp(&o.key()) }
        }
    };
}

handle!(
    /// An operation.
    Op,
    MlirOperation
);
handle!(
    /// An SSA value: an op result or a block argument.
    Value,
    MlirValue
);
handle!(
    /// A block.
    Block,
    MlirBlock
);
handle!(
    /// A region.
    Region,
    MlirRegion
);
handle!(
    /// A type.
    Type,
    MlirType
);
handle!(
    /// An attribute.
    Attribute,
    MlirAttribute
);
handle!(
    /// A location.
    Location,
    MlirLocation
);
handle!(
    /// A context.
    Context,
    MlirContext
);

// ---------------------------------------------------------------- operations

impl Op {
    pub fn name(self) -> &'static str {
        context_str(unsafe { mlirIdentifierStr(mlirOperationGetName(self.0)) })
    }

    /// The dialect namespace: `linalg` for `linalg.matmul`.
    pub fn dialect(self) -> &'static str {
        let n = self.name();
        n.split_once('.').map(|(d, _)| d).unwrap_or(n)
    }

    pub fn context(self) -> Context {
        Context(unsafe { mlirOperationGetContext(self.0) })
    }

    pub fn location(self) -> Location {
        Location(unsafe { mlirOperationGetLocation(self.0) })
    }

    pub fn num_operands(self) -> usize {
        unsafe { mlirOperationGetNumOperands(self.0) as usize }
    }

    pub fn operand(self, i: usize) -> Value {
        Value(unsafe { mlirOperationGetOperand(self.0, i as isize) })
    }

    pub fn operands(self) -> impl Iterator<Item = Value> {
        (0..self.num_operands()).map(move |i| self.operand(i))
    }

    pub fn set_operand(self, i: usize, v: Value) {
        unsafe { mlirOperationSetOperand(self.0, i as isize, v.0) }
    }

    pub fn num_results(self) -> usize {
        unsafe { mlirOperationGetNumResults(self.0) as usize }
    }

    pub fn result(self, i: usize) -> Value {
        Value(unsafe { mlirOperationGetResult(self.0, i as isize) })
    }

    pub fn results(self) -> impl Iterator<Item = Value> {
        (0..self.num_results()).map(move |i| self.result(i))
    }

    pub fn num_regions(self) -> usize {
        unsafe { mlirOperationGetNumRegions(self.0) as usize }
    }

    pub fn region(self, i: usize) -> Region {
        Region(unsafe { mlirOperationGetRegion(self.0, i as isize) })
    }

    pub fn regions(self) -> impl Iterator<Item = Region> {
        (0..self.num_regions()).map(move |i| self.region(i))
    }

    pub fn parent(self) -> Option<Op> {
        let p = Op(unsafe { mlirOperationGetParentOperation(self.0) });
        (!p.is_null()).then_some(p)
    }

    pub fn block(self) -> Option<Block> {
        let b = Block(unsafe { mlirOperationGetBlock(self.0) });
        (!b.is_null()).then_some(b)
    }

    pub fn next(self) -> Option<Op> {
        let n = Op(unsafe { mlirOperationGetNextInBlock(self.0) });
        (!n.is_null()).then_some(n)
    }

    /// An attribute by name, inherent (properties) or discardable.
    pub fn attribute(self, name: &str) -> Option<Attribute> {
        let a = Attribute(unsafe { mlirOperationGetAttributeByName(self.0, sref(name)) });
        (!a.is_null()).then_some(a)
    }

    /// All attributes as (name, value), inherent first, in MLIR's order.
    pub fn attributes(self) -> Vec<(&'static str, Attribute)> {
        let n = unsafe { mlirOperationGetNumAttributes(self.0) };
        (0..n)
            .map(|i| {
                let na = unsafe { mlirOperationGetAttribute(self.0, i) };
                (
                    context_str(unsafe { mlirIdentifierStr(na.name) }),
                    Attribute(na.attribute),
                )
            })
            .collect()
    }

    pub fn set_attribute(self, name: &str, attr: Attribute) {
        unsafe { mlirOperationSetAttributeByName(self.0, sref(name), attr.0) }
    }

    pub fn set_discardable_attribute(self, name: &str, attr: Attribute) {
        unsafe { mlirOperationSetDiscardableAttributeByName(self.0, sref(name), attr.0) }
    }

    pub fn discardable_attribute(self, name: &str) -> Option<Attribute> {
        let a = Attribute(unsafe { mlirOperationGetDiscardableAttributeByName(self.0, sref(name)) });
        (!a.is_null()).then_some(a)
    }

    pub fn remove_discardable_attribute(self, name: &str) -> bool {
        unsafe { mlirOperationRemoveDiscardableAttributeByName(self.0, sref(name)) }
    }

    /// The callee of a `func.call`-like op (`callee` flat symbol ref).
    pub fn callee(self) -> Option<&'static str> {
        let a = self.attribute("callee")?;
        a.flat_symbol().map(|s| s)
    }

    /// The `sym_name` of a symbol op such as `func.func`.
    pub fn symbol_name(self) -> Option<&'static str> {
        self.attribute("sym_name")?.string_value()
    }

    /// Ops of every block of every region, in order, not recursing.
    pub fn nested_ops(self) -> Vec<Op> {
        let mut out = Vec::new();
        for r in self.regions() {
            for b in r.blocks() {
                out.extend(b.ops());
            }
        }
        out
    }

    /// Pre-order walk of this op and everything nested in it. The callback
    /// returns `false` to skip the regions of the op it was given.
    pub fn walk(self, f: &mut dyn FnMut(Op) -> bool) {
        if f(self) {
            for r in self.regions() {
                for b in r.blocks() {
                    let mut cur = b.first_op();
                    while let Some(op) = cur {
                        // Read the successor first: the callback may not erase
                        // `op`, but keeping the order explicit is cheap.
                        let next = op.next();
                        op.walk(f);
                        cur = next;
                    }
                }
            }
        }
    }

    pub fn verify(self) -> bool {
        unsafe { mlirOperationVerify(self.0) }
    }

    pub fn clone_op(self) -> Op {
        Op(unsafe { mlirOperationClone(self.0) })
    }

    /// Inserts this detached op before `anchor`.
    pub fn insert_before(self, anchor: Op) {
        let block = anchor.block().expect("anchor op must be in a block");
        unsafe { mlirBlockInsertOwnedOperationBefore(block.0, anchor.0, self.0) }
    }

    pub fn erase(self) {
        unsafe { mlirOperationDestroy(self.0) }
    }

    pub fn set_location(self, loc: Location) {
        unsafe { mlirOperationSetLocation(self.0, loc.0) }
    }

    /// Prints the op in the generic or custom form with default flags.
    pub fn to_text(self) -> String {
        print_to_string(|cb, ud| unsafe { mlirOperationPrint(self.0, cb, ud) })
    }

    /// Whether any result has a use.
    pub fn has_uses(self) -> bool {
        self.results().any(|v| v.has_uses())
    }
}

impl fmt::Debug for Block {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Block({:p})", self.0.ptr)
    }
}

impl fmt::Debug for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Op({})", self.name())
    }
}

// ---------------------------------------------------------------- blocks and regions

impl Region {
    pub fn blocks(self) -> impl Iterator<Item = Block> {
        let mut cur = Block(unsafe { mlirRegionGetFirstBlock(self.0) });
        std::iter::from_fn(move || {
            if cur.is_null() {
                return None;
            }
            let b = cur;
            cur = Block(unsafe { mlirBlockGetNextInRegion(b.0) });
            Some(b)
        })
    }

    pub fn first_block(self) -> Option<Block> {
        let b = Block(unsafe { mlirRegionGetFirstBlock(self.0) });
        (!b.is_null()).then_some(b)
    }
}

impl Block {
    pub fn first_op(self) -> Option<Op> {
        let o = Op(unsafe { mlirBlockGetFirstOperation(self.0) });
        (!o.is_null()).then_some(o)
    }

    pub fn ops(self) -> impl Iterator<Item = Op> {
        let mut cur = self.first_op();
        std::iter::from_fn(move || {
            let o = cur?;
            cur = o.next();
            Some(o)
        })
    }

    pub fn num_arguments(self) -> usize {
        unsafe { mlirBlockGetNumArguments(self.0) as usize }
    }

    pub fn argument(self, i: usize) -> Value {
        Value(unsafe { mlirBlockGetArgument(self.0, i as isize) })
    }

    pub fn arguments(self) -> impl Iterator<Item = Value> {
        (0..self.num_arguments()).map(move |i| self.argument(i))
    }

    pub fn terminator(self) -> Option<Op> {
        let o = Op(unsafe { mlirBlockGetTerminator(self.0) });
        (!o.is_null()).then_some(o)
    }

    pub fn parent_op(self) -> Option<Op> {
        let o = Op(unsafe { mlirBlockGetParentOperation(self.0) });
        (!o.is_null()).then_some(o)
    }

    pub fn append(self, op: Op) {
        unsafe { mlirBlockAppendOwnedOperation(self.0, op.0) }
    }

    pub fn insert_at_start(self, op: Op) {
        unsafe { mlirBlockInsertOwnedOperation(self.0, 0, op.0) }
    }
}

// ---------------------------------------------------------------- values

/// Where a value comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueDef {
    Result(Op, usize),
    Argument(Block, usize),
}

impl Value {
    pub fn ty(self) -> Type {
        Type(unsafe { mlirValueGetType(self.0) })
    }

    pub fn set_type(self, t: Type) {
        unsafe {
            if mlirValueIsABlockArgument(self.0) {
                mlirBlockArgumentSetType(self.0, t.0)
            } else {
                mlirValueSetType(self.0, t.0)
            }
        }
    }

    pub fn def(self) -> ValueDef {
        unsafe {
            if mlirValueIsAOpResult(self.0) {
                ValueDef::Result(Op(mlirOpResultGetOwner(self.0)), mlirOpResultGetResultNumber(self.0) as usize)
            } else {
                ValueDef::Argument(
                    Block(mlirBlockArgumentGetOwner(self.0)),
                    mlirBlockArgumentGetArgNumber(self.0) as usize,
                )
            }
        }
    }

    /// The op that defines this value, if it is an op result.
    pub fn defining_op(self) -> Option<Op> {
        match self.def() {
            ValueDef::Result(op, _) => Some(op),
            ValueDef::Argument(..) => None,
        }
    }

    pub fn has_uses(self) -> bool {
        !unsafe { mlirOpOperandIsNull(mlirValueGetFirstUse(self.0)) }
    }

    /// (user op, operand number) for every use, in use-list order.
    pub fn uses(self) -> Vec<(Op, usize)> {
        let mut out = Vec::new();
        unsafe {
            let mut u = mlirValueGetFirstUse(self.0);
            while !mlirOpOperandIsNull(u) {
                out.push((Op(mlirOpOperandGetOwner(u)), mlirOpOperandGetOperandNumber(u) as usize));
                u = mlirOpOperandGetNextUse(u);
            }
        }
        out
    }

    pub fn replace_all_uses_with(self, with: Value) {
        unsafe { mlirValueReplaceAllUsesOfWith(self.0, with.0) }
    }

    pub fn location(self) -> Location {
        Location(unsafe { mlirValueGetLocation(self.0) })
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Value({})", self.ty())
    }
}

// ---------------------------------------------------------------- types

/// Element types the pruner reads and writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FloatKind {
    F32,
    F16,
    BF16,
    F64,
}

impl FloatKind {
    pub fn byte_width(self) -> usize {
        match self {
            FloatKind::F32 => 4,
            FloatKind::F16 | FloatKind::BF16 => 2,
            FloatKind::F64 => 8,
        }
    }
}

impl Type {
    pub fn parse(ctx: Context, text: &str) -> Option<Type> {
        let t = Type(unsafe { mlirTypeParseGet(ctx.0, sref(text)) });
        (!t.is_null()).then_some(t)
    }

    pub fn is_ranked_tensor(self) -> bool {
        unsafe { mlirTypeIsARankedTensor(self.0) }
    }

    pub fn is_shaped(self) -> bool {
        unsafe { mlirTypeIsAShaped(self.0) }
    }

    /// Dims of a ranked shaped type (`None` entries are dynamic).
    pub fn shape(self) -> Option<Vec<Option<i64>>> {
        unsafe {
            if !mlirTypeIsAShaped(self.0) || !mlirShapedTypeHasRank(self.0) {
                return None;
            }
            let rank = mlirShapedTypeGetRank(self.0);
            Some(
                (0..rank)
                    .map(|i| {
                        if mlirShapedTypeIsDynamicDim(self.0, i as isize) {
                            None
                        } else {
                            Some(mlirShapedTypeGetDimSize(self.0, i as isize))
                        }
                    })
                    .collect(),
            )
        }
    }

    /// Dims of a ranked tensor with a fully static shape.
    pub fn static_shape(self) -> Option<Vec<i64>> {
        if !self.is_ranked_tensor() {
            return None;
        }
        self.shape()?.into_iter().collect()
    }

    pub fn element_type(self) -> Option<Type> {
        unsafe { mlirTypeIsAShaped(self.0).then(|| Type(mlirShapedTypeGetElementType(self.0))) }
    }

    pub fn float_kind(self) -> Option<FloatKind> {
        unsafe {
            if mlirTypeIsAF32(self.0) {
                Some(FloatKind::F32)
            } else if mlirTypeIsAF16(self.0) {
                Some(FloatKind::F16)
            } else if mlirTypeIsABF16(self.0) {
                Some(FloatKind::BF16)
            } else if mlirTypeIsAF64(self.0) {
                Some(FloatKind::F64)
            } else {
                None
            }
        }
    }

    pub fn is_index(self) -> bool {
        unsafe { mlirTypeIsAIndex(self.0) }
    }

    pub fn integer_width(self) -> Option<u32> {
        unsafe { mlirTypeIsAInteger(self.0).then(|| mlirIntegerTypeGetWidth(self.0)) }
    }

    /// A ranked tensor type with the given static shape, keeping the element
    /// type and encoding of `self`.
    pub fn ranked_tensor_like(self, shape: &[i64]) -> Type {
        unsafe {
            let elem = mlirShapedTypeGetElementType(self.0);
            let enc = mlirRankedTensorTypeGetEncoding(self.0);
            Type(mlirRankedTensorTypeGet(shape.len() as isize, shape.as_ptr(), elem, enc))
        }
    }

    pub fn context(self) -> Context {
        Context(unsafe { mlirTypeGetContext(self.0) })
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = *self;
        f.write_str(&print_to_string(|cb, ud| unsafe { mlirTypePrint(t.0, cb, ud) }))
    }
}

impl fmt::Debug for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

// ---------------------------------------------------------------- attributes

impl Attribute {
    pub fn parse(ctx: Context, text: &str) -> Option<Attribute> {
        let a = Attribute(unsafe { mlirAttributeParseGet(ctx.0, sref(text)) });
        (!a.is_null()).then_some(a)
    }

    pub fn string(ctx: Context, s: &str) -> Attribute {
        Attribute(unsafe { mlirStringAttrGet(ctx.0, sref(s)) })
    }

    pub fn string_value(self) -> Option<&'static str> {
        unsafe { mlirAttributeIsAString(self.0).then(|| context_str(mlirStringAttrGetValue(self.0))) }
    }

    pub fn flat_symbol(self) -> Option<&'static str> {
        unsafe {
            mlirAttributeIsAFlatSymbolRef(self.0).then(|| context_str(mlirFlatSymbolRefAttrGetValue(self.0)))
        }
    }

    pub fn integer_value(self) -> Option<i64> {
        unsafe { mlirAttributeIsAInteger(self.0).then(|| mlirIntegerAttrGetValueInt(self.0)) }
    }

    pub fn float_value(self) -> Option<f64> {
        unsafe { mlirAttributeIsAFloat(self.0).then(|| mlirFloatAttrGetValueDouble(self.0)) }
    }

    pub fn ty(self) -> Type {
        Type(unsafe { mlirAttributeGetType(self.0) })
    }

    pub fn array_elements(self) -> Option<Vec<Attribute>> {
        unsafe {
            if !mlirAttributeIsAArray(self.0) {
                return None;
            }
            let n = mlirArrayAttrGetNumElements(self.0);
            Some((0..n).map(|i| Attribute(mlirArrayAttrGetElement(self.0, i))).collect())
        }
    }

    /// `array<i64: ...>` / `array<i32: ...>` contents.
    pub fn dense_int_array(self) -> Option<Vec<i64>> {
        unsafe {
            let n = mlirDenseArrayGetNumElements(self.0);
            if mlirAttributeIsADenseI64Array(self.0) {
                Some((0..n).map(|i| mlirDenseI64ArrayGetElement(self.0, i)).collect())
            } else if mlirAttributeIsADenseI32Array(self.0) {
                Some((0..n).map(|i| mlirDenseI32ArrayGetElement(self.0, i) as i64).collect())
            } else {
                None
            }
        }
    }

    pub fn dense_i64_array(ctx: Context, values: &[i64]) -> Attribute {
        Attribute(unsafe { mlirDenseI64ArrayGet(ctx.0, values.len() as isize, values.as_ptr()) })
    }

    pub fn affine_map(self) -> Option<AffineMap> {
        unsafe { mlirAttributeIsAAffineMap(self.0).then(|| AffineMap(mlirAffineMapAttrGetValue(self.0))) }
    }

    pub fn is_dense_elements(self) -> bool {
        unsafe { mlirAttributeIsADenseElements(self.0) }
    }

    /// A `dense<...>` attribute holding one repeated value.
    pub fn is_splat(self) -> bool {
        unsafe { mlirAttributeIsADenseElements(self.0) && mlirDenseElementsAttrIsSplat(self.0) }
    }

    pub fn is_dense_resource(self) -> bool {
        unsafe { mlirAttributeIsADenseResourceElements(self.0) }
    }

    /// The value of a float splat `dense<...>` attribute.
    pub fn splat_float_value(self) -> Option<f64> {
        if !self.is_splat() {
            return None;
        }
        Attribute(unsafe { mlirDenseElementsAttrGetSplatValue(self.0) }).float_value()
    }

    /// This float scalar or float splat attribute with its value replaced
    /// by `x` (same type, rounded to it).
    pub fn with_float_value(self, x: f64) -> Option<Attribute> {
        unsafe {
            if mlirAttributeIsAFloat(self.0) {
                return Some(Attribute(mlirFloatAttrDoubleGet(mlirAttributeGetContext(self.0), mlirAttributeGetType(self.0), x)));
            }
            if !self.is_splat() {
                return None;
            }
            let element = Attribute(mlirDenseElementsAttrGetSplatValue(self.0));
            if !mlirAttributeIsAFloat(element.0) {
                return None;
            }
            let scalar = element.with_float_value(x)?;
            Some(Attribute(mlirDenseElementsAttrSplatGet(mlirAttributeGetType(self.0), scalar.0)))
        }
    }

    /// Integer contents of a dense int elements attribute (`dense<[1, 2]>`
    /// of any integer or index type).
    pub fn dense_int_values(self) -> Option<Vec<i64>> {
        unsafe {
            if !mlirAttributeIsADenseIntElements(self.0) {
                return None;
            }
            let t = self.ty();
            let n: i64 = t.static_shape()?.iter().product();
            let splat = mlirDenseElementsAttrIsSplat(self.0);
            let elem = t.element_type()?;
            let get = |i: isize| -> i64 {
                let i = if splat { 0 } else { i };
                if elem.is_index() {
                    mlirDenseElementsAttrGetIndexValue(self.0, i) as i64
                } else {
                    match elem.integer_width() {
                        Some(64) => mlirDenseElementsAttrGetInt64Value(self.0, i),
                        Some(32) => mlirDenseElementsAttrGetInt32Value(self.0, i) as i64,
                        Some(16) => mlirDenseElementsAttrGetInt16Value(self.0, i) as i64,
                        Some(8) => mlirDenseElementsAttrGetInt8Value(self.0, i) as i64,
                        Some(1) => mlirDenseElementsAttrGetBoolValue(self.0, i) as i64,
                        _ => mlirDenseElementsAttrGetInt64Value(self.0, i),
                    }
                }
            };
            Some((0..n as isize).map(get).collect())
        }
    }

    pub fn context(self) -> Context {
        Context(unsafe { mlirAttributeGetContext(self.0) })
    }
}

impl fmt::Display for Attribute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let a = *self;
        f.write_str(&print_to_string(|cb, ud| unsafe { mlirAttributePrint(a.0, cb, ud) }))
    }
}

impl fmt::Debug for Attribute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

// ---------------------------------------------------------------- affine maps

/// An affine map, read into the small form the analysis needs.
#[derive(Clone, Copy)]
pub struct AffineMap(pub MlirAffineMap);

/// One result expression of an indexing map.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MapExpr {
    /// Exactly loop dim `d`.
    Dim(usize),
    /// A constant (`0` in broadcasting maps).
    Constant(i64),
    /// Anything else (`d2 * 2 + d5` in a convolution); lists the loop dims it uses.
    Compound(Vec<usize>),
}

impl AffineMap {
    pub fn num_dims(self) -> usize {
        unsafe { mlirAffineMapGetNumDims(self.0) as usize }
    }

    pub fn results(self) -> Vec<MapExpr> {
        unsafe {
            let n = mlirAffineMapGetNumResults(self.0);
            let dims = self.num_dims();
            (0..n)
                .map(|i| {
                    let e = mlirAffineMapGetResult(self.0, i);
                    if mlirAffineExprIsADim(e) {
                        MapExpr::Dim(mlirAffineDimExprGetPosition(e) as usize)
                    } else if mlirAffineExprIsAConstant(e) {
                        MapExpr::Constant(mlirAffineConstantExprGetValue(e))
                    } else {
                        MapExpr::Compound((0..dims).filter(|&d| mlirAffineExprIsFunctionOfDim(e, d as isize)).collect())
                    }
                })
                .collect()
        }
    }
}

/// The indexing maps of any linalg structured op (named ops included).
pub fn linalg_indexing_maps(op: Op) -> Option<Vec<AffineMap>> {
    let attr = Attribute(unsafe { mlirLinalgGetIndexingMapsAttribute(op.0) });
    if attr.is_null() {
        return None;
    }
    attr.array_elements()?.into_iter().map(|a| a.affine_map()).collect()
}

pub fn linalg_is_contraction(op: Op) -> bool {
    unsafe { mlirLinalgIsAContractionOp(op.0) }
}

pub fn linalg_is_convolution(op: Op) -> bool {
    unsafe { mlirLinalgIsAConvolutionOp(op.0) }
}

// ---------------------------------------------------------------- diagnostics

/// Emits an error diagnostic at `loc` through the context's handlers.
pub fn emit_error(loc: Location, message: &str) {
    let c = std::ffi::CString::new(message.replace('\0', " ")).unwrap_or_default();
    unsafe { mlirEmitError(loc.0, c.as_ptr()) }
}

/// The textual type of an f32 tensor of `shape` (`tensor<f32>` for rank 0),
/// for the IR the tools write as text.
pub fn f32_tensor_type<D: fmt::Display>(shape: &[D]) -> String {
    let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    if dims.is_empty() {
        "tensor<f32>".into()
    } else {
        format!("tensor<{}xf32>", dims.join("x"))
    }
}
