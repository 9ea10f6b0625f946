//! IR access: small `Copy` handles over the MLIR C API.
//!
//! melior's safe wrappers tie every handle to a borrow of its parent, which is
//! right for building IR but makes whole-module analyses (tables indexed by op
//! and value, graphs over them) awkward. The analysis and the rewrite therefore
//! work on these plain handles instead.
//!
//! # The unsafe boundary
//!
//! Calls into the C API live in this module and its children, behind safe
//! methods. The driver's own C API calls (pass manager, printing, the
//! diagnostic handler) reach the raw handles through `raw()`, which is
//! visible only inside the crate; a handle is made from a raw one only by
//! the `unsafe` `from_raw`.
//!
//! The handles carry no lifetime, so one invariant is the callers' to keep,
//! not the compiler's: **a handle is used only while the IR it points to is
//! alive**: the context that owns it has not been dropped, and the op it is
//! (or whose result, region or block it is) has not been erased or
//! destroyed. Every pass in this crate holds its module, and so its context,
//! for the whole time it uses handles into it. What ends IR is either
//! `unsafe` ([`Op::erase`]) or an owner's drop ([`OwnedOp`], melior's
//! `Context`), after which the handles taken from that owner must not be
//! used. [`dense::FloatElements`] borrows weight data under the same
//! invariant.
//!
//! Strings returned by the handles (`Op::name`, `Attribute::string_value`,
//! location names, ...) are different: they are copied once into a
//! process-wide interner and are truly `'static`. Borrowing them from the
//! context's uniqued storage would not be: contexts are destroyed (one per
//! `--split-input-file` chunk, one per test).

// The unsafe boundary of the crate: every unsafe block says why it holds.
#![warn(clippy::undocumented_unsafe_blocks, clippy::missing_safety_doc, unsafe_op_in_unsafe_fn)]

pub mod build;
pub mod dense;
pub mod describe;
pub mod exec;
pub mod location;

use mlir_sys::*;
use std::collections::HashSet;
use std::ffi::c_void;
use std::fmt;
use std::sync::{LazyLock, Mutex, PoisonError};

/// A dynamic dim in the shapes this crate computes with.
pub const DYNAMIC: i64 = -1;

/// MLIR's `ShapedType::kDynamic`.
pub const MLIR_DYNAMIC: i64 = i64::MIN;

/// Builds an `MlirStringRef` that borrows `s` for the duration of a call.
pub(crate) fn sref(s: &str) -> MlirStringRef {
    MlirStringRef {
        data: s.as_ptr() as *const _,
        length: s.len(),
    }
}

/// Every string the handles have returned, leaked once each: op, attribute
/// and location names repeat, so the set stays small.
static INTERNED: LazyLock<Mutex<HashSet<&'static str>>> = LazyLock::new(Default::default);

/// `s` as a string that lives until the process exits.
fn intern(s: &str) -> &'static str {
    // The set is never left half-updated, so a panic elsewhere while it was
    // locked does not make it wrong.
    let mut interned = INTERNED.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(&kept) = interned.get(s) {
        return kept;
    }
    let kept: &'static str = Box::leak(s.into());
    interned.insert(kept);
    kept
}

/// Reads a string that MLIR owns (an identifier, a string attribute) and
/// returns an interned copy, which outlives the context.
///
/// # Safety
///
/// `s.data` must be null or point to `s.length` bytes that stay readable for
/// the duration of this call.
pub(crate) unsafe fn context_str(s: MlirStringRef) -> &'static str {
    if s.data.is_null() || s.length == 0 {
        return "";
    }
    // SAFETY: the caller guarantees `length` readable bytes at `data`; the
    // slice is dropped before this call returns.
    let bytes = unsafe { std::slice::from_raw_parts(s.data as *const u8, s.length) };
    // The same few names are read over and over (`Op::name` in every
    // match), so each thread remembers the latest string per address. A
    // hit is also compared by content, since a destroyed context's
    // addresses are reused by the next one.
    let slot = (s.data as usize >> 3) % RECENT_SLOTS;
    let hit = RECENT.with_borrow(|recent| {
        let (addr, kept) = recent[slot];
        (addr == s.data as usize && kept.as_bytes() == bytes).then_some(kept)
    });
    if let Some(kept) = hit {
        return kept;
    }
    let Ok(text) = std::str::from_utf8(bytes) else { return "<non-utf8>" };
    let kept = intern(text);
    RECENT.with_borrow_mut(|recent| recent[slot] = (s.data as usize, kept));
    kept
}

const RECENT_SLOTS: usize = 256;

thread_local! {
    /// The interned string last read at an address, by address.
    static RECENT: std::cell::RefCell<[(usize, &'static str); RECENT_SLOTS]> =
        const { std::cell::RefCell::new([(0, ""); RECENT_SLOTS]) };
}

/// `MlirStringCallback` that appends to a `Vec<u8>`.
///
/// # Safety
///
/// `user` must point to a `Vec<u8>` that nothing else accesses during the
/// call, and `s.data` must be null or point to `s.length` readable bytes, as
/// MLIR's printers guarantee for the callbacks they call.
pub(crate) unsafe extern "C" fn append_to_vec(s: MlirStringRef, user: *mut c_void) {
    // SAFETY: the caller passes a `Vec<u8>` it does not touch meanwhile.
    let buf = unsafe { &mut *(user as *mut Vec<u8>) };
    if !s.data.is_null() {
        // SAFETY: MLIR hands `length` readable bytes for this call.
        buf.extend_from_slice(unsafe { std::slice::from_raw_parts(s.data as *const u8, s.length) });
    }
}

/// Runs a printing C function into a `String`: `f` gets [`append_to_vec`]
/// and the buffer to pass it as user data.
pub(crate) fn print_to_string(f: impl FnOnce(MlirStringCallback, *mut c_void)) -> String {
    let mut buf: Vec<u8> = Vec::new();
    f(Some(append_to_vec), &mut buf as *mut Vec<u8> as *mut c_void);
    String::from_utf8_lossy(&buf).into_owned()
}

/// `Display` (and `Debug`) as MLIR prints the handle.
macro_rules! printed_as_mlir {
    ($ty:ident, $print_fn:ident) => {
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let h = *self;
                // SAFETY: a live handle (module invariant); the callback and
                // its buffer are the pair `print_to_string` provides.
                f.write_str(&print_to_string(|cb, ud| unsafe { $print_fn(h.0, cb, ud) }))
            }
        }

        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(self, f)
            }
        }
    };
}

/// `num_x`, `x(i)` and `xs()` over a handle's indexed children, read
/// through the C API's count and get functions; `x(i)` checks the index
/// (the C API does not).
macro_rules! indexed_children {
    ($num:ident, $one:ident, $many:ident, $ty:ident, $num_fn:ident, $get_fn:ident, $what:literal) => {
        pub fn $num(self) -> usize {
            // SAFETY: a live handle (module invariant).
            unsafe { $num_fn(self.0) as usize }
        }

        pub fn $one(self, i: usize) -> $ty {
            check_index($what, i, self.$num());
            // SAFETY: a live handle (module invariant), `i` in range.
            $ty(unsafe { $get_fn(self.0, i as isize) })
        }

        pub fn $many(self) -> impl Iterator<Item = $ty> {
            (0..self.$num()).map(move |i| self.$one(i))
        }
    };
}

/// A getter of a related handle that the C API returns null for when there
/// is none (an op's parent, a block's terminator).
macro_rules! nullable_child {
    ($name:ident, $ty:ident, $get_fn:ident) => {
        pub fn $name(self) -> Option<$ty> {
            // SAFETY: a live handle (module invariant).
            let h = $ty(unsafe { $get_fn(self.0) });
            (!h.is_null()).then_some(h)
        }
    };
}

macro_rules! handle {
    ($(#[$doc:meta])* $name:ident, $raw:ty) => {
        $(#[$doc])*
        #[derive(Clone, Copy)]
        pub struct $name($raw);
        impl $name {
            /// Wraps a raw handle from the C API.
            ///
            /// # Safety
            ///
            /// `raw` must be null or point to a live IR object of this kind,
            /// and the handle must be used only while that object lives (see
            /// the module documentation). A null handle may only be tested
            /// with `is_null`.
            pub unsafe fn from_raw(raw: $raw) -> Self { $name(raw) }
            /// The raw handle, for the C API calls the driver makes itself.
            #[allow(dead_code)] // not every kind of handle leaves `ir`
            pub(crate) fn raw(self) -> $raw { self.0 }
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

impl Context {
    /// The handle of a melior context, valid while `context` lives.
    pub fn of(context: &melior::Context) -> Context {
        Context(context.to_raw())
    }
}

// ---------------------------------------------------------------- owned ops

/// Owns a detached operation (a parsed module, a copy) and destroys it, with
/// everything nested in it, when dropped: drop it before its context, and
/// use no handle into it after. If a block took the op meanwhile, the block
/// owns it and the drop leaves it alone.
pub struct OwnedOp(Op);

impl OwnedOp {
    /// Takes ownership of a detached op.
    ///
    /// # Safety
    ///
    /// `op` must be live, in no block, and owned by nothing else: no other
    /// `OwnedOp`, and no one destroys or erases it meanwhile.
    pub unsafe fn from_op(op: Op) -> OwnedOp {
        OwnedOp(op)
    }

    /// Takes ownership of a module the C API created.
    ///
    /// # Safety
    ///
    /// `module` must be null or a live module that nothing else owns.
    unsafe fn from_module(module: MlirModule) -> Option<OwnedOp> {
        if module.ptr.is_null() {
            return None;
        }
        // SAFETY: the caller passes a live module; its op is the module.
        let op = Op(unsafe { mlirModuleGetOperation(module) });
        Some(OwnedOp(op))
    }

    pub fn op(&self) -> Op {
        self.0
    }

    /// Gives the op up without destroying it: for an op that a block is
    /// about to own. Dropping the result instead leaks it.
    pub fn into_op(self) -> Op {
        let op = self.0;
        std::mem::forget(self);
        op
    }

    /// Parses `source` (text or bytecode) holding one top-level op; the
    /// buffer is named `name` in locations. Diagnostics go to the context's
    /// handlers; `None` on failure.
    pub fn parse(ctx: Context, source: &[u8], name: &str) -> Option<OwnedOp> {
        let source = MlirStringRef { data: source.as_ptr() as *const _, length: source.len() };
        // SAFETY: live context (module invariant); both buffers outlive the
        // call, and the parser copies what it keeps.
        let op = Op(unsafe { mlirOperationCreateParse(ctx.0, source, sref(name)) });
        // The parsed op is new and detached, so it is ours alone.
        (!op.is_null()).then(|| OwnedOp(op))
    }

    /// Parses `source` (text or bytecode) as the body of a module, which may
    /// hold several top-level ops. Locations have no file name.
    pub fn parse_module(ctx: Context, source: &[u8]) -> Option<OwnedOp> {
        let source = MlirStringRef { data: source.as_ptr() as *const _, length: source.len() };
        // SAFETY: live context (module invariant); the buffer outlives the call.
        let module = unsafe { mlirModuleCreateParse(ctx.0, source) };
        // SAFETY: a new module (or null), owned by no one yet.
        unsafe { OwnedOp::from_module(module) }
    }

    /// Parses the file at `path` (text or bytecode); MLIR reads the file
    /// itself, mapped when it is large, page-aligned either way.
    pub fn parse_file(ctx: Context, path: &str) -> Option<OwnedOp> {
        // SAFETY: live context (module invariant); `path` outlives the call.
        let module = unsafe { mcpruneParseFileAligned(ctx.0, sref(path)) };
        // SAFETY: a new module (or null), owned by no one yet.
        unsafe { OwnedOp::from_module(module) }
    }

    /// An empty `builtin.module` at `loc`.
    pub fn empty_module(loc: Location) -> OwnedOp {
        // SAFETY: live location (module invariant).
        let module = unsafe { mlirModuleCreateEmpty(loc.0) };
        // SAFETY: a new module, owned by no one yet.
        unsafe { OwnedOp::from_module(module) }.expect("MLIR creates an empty module")
    }
}

impl Drop for OwnedOp {
    fn drop(&mut self) {
        // An op put into a block since belongs to that block now.
        if self.0.block().is_none() {
            // SAFETY: the op is live and detached, and this owner is its only
            // one (see `from_op`); nothing uses it after the drop.
            unsafe { mlirOperationDestroy(self.0 .0) }
        }
    }
}

extern "C" {
    /// `csrc/`: parses a file into a page-aligned buffer (bytecode needs the
    /// alignment its resources ask for).
    fn mcpruneParseFileAligned(ctx: MlirContext, path: MlirStringRef) -> MlirModule;
}

// ---------------------------------------------------------------- operations

/// Panics unless `i` is below `n`: the C API does not check indices, and
/// reading past the end would read freed or foreign memory.
fn check_index(what: &str, i: usize, n: usize) {
    assert!(i < n, "{what} {i} out of range (there are {n})");
}

impl Op {
    pub fn name(self) -> &'static str {
        // SAFETY: live op (module invariant); its name's identifier lives in
        // the context during the call.
        unsafe { context_str(mlirIdentifierStr(mlirOperationGetName(self.0))) }
    }

    /// The dialect namespace: `linalg` for `linalg.matmul`.
    pub fn dialect(self) -> &'static str {
        let n = self.name();
        n.split_once('.').map(|(d, _)| d).unwrap_or(n)
    }

    pub fn context(self) -> Context {
        // SAFETY: live op (module invariant).
        Context(unsafe { mlirOperationGetContext(self.0) })
    }

    pub fn location(self) -> Location {
        // SAFETY: live op (module invariant).
        Location(unsafe { mlirOperationGetLocation(self.0) })
    }

    indexed_children!(num_operands, operand, operands, Value, mlirOperationGetNumOperands, mlirOperationGetOperand, "operand");

    pub fn set_operand(self, i: usize, v: Value) {
        check_index("operand", i, self.num_operands());
        // SAFETY: live op and value (module invariant), `i` in range.
        unsafe { mlirOperationSetOperand(self.0, i as isize, v.0) }
    }

    indexed_children!(num_results, result, results, Value, mlirOperationGetNumResults, mlirOperationGetResult, "result");

    indexed_children!(num_regions, region, regions, Region, mlirOperationGetNumRegions, mlirOperationGetRegion, "region");

    nullable_child!(parent, Op, mlirOperationGetParentOperation);

    nullable_child!(block, Block, mlirOperationGetBlock);

    nullable_child!(next, Op, mlirOperationGetNextInBlock);

    /// An attribute by name, inherent (properties) or discardable.
    pub fn attribute(self, name: &str) -> Option<Attribute> {
        // SAFETY: live op (module invariant); `name` outlives the call.
        let a = Attribute(unsafe { mlirOperationGetAttributeByName(self.0, sref(name)) });
        (!a.is_null()).then_some(a)
    }

    /// All attributes as (name, value), inherent first, in MLIR's order.
    pub fn attributes(self) -> Vec<(&'static str, Attribute)> {
        // SAFETY: live op (module invariant).
        let n = unsafe { mlirOperationGetNumAttributes(self.0) };
        (0..n)
            .map(|i| {
                // SAFETY: live op, `i` below its attribute count.
                let na = unsafe { mlirOperationGetAttribute(self.0, i) };
                // SAFETY: the name's identifier lives in the context.
                (unsafe { context_str(mlirIdentifierStr(na.name)) }, Attribute(na.attribute))
            })
            .collect()
    }

    pub fn set_attribute(self, name: &str, attr: Attribute) {
        // SAFETY: live op and attribute (module invariant); `name` outlives the call.
        unsafe { mlirOperationSetAttributeByName(self.0, sref(name), attr.0) }
    }

    pub fn set_discardable_attribute(self, name: &str, attr: Attribute) {
        // SAFETY: live op and attribute (module invariant); `name` outlives the call.
        unsafe { mlirOperationSetDiscardableAttributeByName(self.0, sref(name), attr.0) }
    }

    pub fn discardable_attribute(self, name: &str) -> Option<Attribute> {
        // SAFETY: live op (module invariant); `name` outlives the call.
        let a = Attribute(unsafe { mlirOperationGetDiscardableAttributeByName(self.0, sref(name)) });
        (!a.is_null()).then_some(a)
    }

    pub fn remove_discardable_attribute(self, name: &str) -> bool {
        // SAFETY: live op (module invariant); `name` outlives the call.
        unsafe { mlirOperationRemoveDiscardableAttributeByName(self.0, sref(name)) }
    }

    /// The callee of a `func.call`-like op (`callee` flat symbol ref).
    pub fn callee(self) -> Option<&'static str> {
        self.attribute("callee")?.flat_symbol()
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

    /// Sets a `func.func`'s type from its entry block's arguments and its
    /// return's operands (a rewrite that changed them keeps the op valid).
    pub fn update_function_type(self) {
        let Some(entry) = self.region(0).first_block() else { return };
        let inputs: Vec<Type> = entry.arguments().map(|a| a.ty()).collect();
        let mut results: Vec<Type> = Vec::new();
        if let Some(ret) = entry.terminator().filter(|t| t.name() == "func.return") {
            results = ret.operands().map(|v| v.ty()).collect();
        } else if let Some(t) = self.attribute("function_type").and_then(|a| a.type_value()) {
            results = t.function_results().unwrap_or_default();
        }
        let ft = Type::function(self.context(), &inputs, &results);
        self.set_attribute("function_type", Attribute::of_type(ft));
    }

    pub fn verify(self) -> bool {
        // SAFETY: live op (module invariant).
        unsafe { mlirOperationVerify(self.0) }
    }

    /// A detached deep copy: insert it into a block, or it leaks.
    pub fn clone_op(self) -> Op {
        // SAFETY: live op (module invariant).
        Op(unsafe { mlirOperationClone(self.0) })
    }

    /// A detached deep copy that is destroyed when the owner is dropped.
    pub fn clone_owned(self) -> OwnedOp {
        // A fresh clone is detached and nothing else knows of it.
        OwnedOp(self.clone_op())
    }

    /// Inserts this detached op before `anchor`; the block owns it from then on.
    pub fn insert_before(self, anchor: Op) {
        assert!(self.block().is_none(), "inserting an op that is already in a block");
        let block = anchor.block().expect("anchor op must be in a block");
        // SAFETY: live ops (module invariant); `self` is detached and
        // `anchor` is in `block`, as the C API requires.
        unsafe { mlirBlockInsertOwnedOperationBefore(block.0, anchor.0, self.0) }
    }

    /// Erases this op, with everything nested in it, freeing them.
    ///
    /// # Safety
    ///
    /// The op must be live, its results unused, and not owned by an
    /// [`OwnedOp`] (which would destroy it again). Afterwards, no copy of
    /// this handle, nor any handle to its results, regions, blocks or nested
    /// ops, may be used: they point to freed memory.
    pub unsafe fn erase(self) {
        // SAFETY: the caller guarantees the op is live and erasable, and that
        // nothing uses it afterwards.
        unsafe { mlirOperationDestroy(self.0) }
    }

    pub fn set_location(self, loc: Location) {
        // SAFETY: live op and location (module invariant).
        unsafe { mlirOperationSetLocation(self.0, loc.0) }
    }

    /// Prints the op in the generic or custom form with default flags.
    pub fn to_text(self) -> String {
        // SAFETY: live op (module invariant); the callback and its buffer
        // are the pair `print_to_string` provides.
        print_to_string(|cb, ud| unsafe { mlirOperationPrint(self.0, cb, ud) })
    }

    /// Whether any result has a use.
    pub fn has_uses(self) -> bool {
        self.results().any(|v| v.has_uses())
    }

    /// A detached op `name` at `loc` with `operands` and nothing else (no
    /// results, attributes or regions): a terminator such as `func.return`.
    pub fn new_detached(name: &str, loc: Location, operands: &[Value]) -> Op {
        Op::build(name, loc, operands, &[], &[])
    }

    /// A detached op `name` at `loc` with `operands`, `results` and
    /// `attributes`, and no regions: insert it into a block, or it leaks.
    pub fn build(name: &str, loc: Location, operands: &[Value], results: &[Type], attributes: &[(&str, Attribute)]) -> Op {
        let raw: Vec<MlirValue> = operands.iter().map(|v| v.0).collect();
        let types: Vec<MlirType> = results.iter().map(|t| t.0).collect();
        let ctx = loc.context();
        let named: Vec<MlirNamedAttribute> = attributes
            .iter()
            .map(|(n, a)| MlirNamedAttribute {
                // SAFETY: live context (module invariant); `n` outlives the
                // call, and the identifier is interned in the context.
                name: unsafe { mlirIdentifierGet(ctx.0, sref(n)) },
                attribute: a.0,
            })
            .collect();
        // SAFETY: live location (module invariant); `name` outlives the call.
        let mut state = unsafe { mlirOperationStateGet(sref(name), loc.0) };
        // SAFETY: each vector holds as many live handles as it says and
        // outlives the calls; the state copies them.
        unsafe {
            mlirOperationStateAddOperands(&mut state, raw.len() as isize, raw.as_ptr());
            mlirOperationStateAddResults(&mut state, types.len() as isize, types.as_ptr());
            mlirOperationStateAddAttributes(&mut state, named.len() as isize, named.as_ptr());
        }
        // SAFETY: the state was built above and is used once.
        let op = Op(unsafe { mlirOperationCreate(&mut state) });
        // Null would make every later call on it read address 0.
        assert!(!op.is_null(), "MLIR could not create a {name}");
        op
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
        let mut cur = self.first_block();
        std::iter::from_fn(move || {
            let b = cur?;
            // SAFETY: live block (module invariant).
            let next = Block(unsafe { mlirBlockGetNextInRegion(b.0) });
            cur = (!next.is_null()).then_some(next);
            Some(b)
        })
    }

    nullable_child!(first_block, Block, mlirRegionGetFirstBlock);
}

impl Block {
    nullable_child!(first_op, Op, mlirBlockGetFirstOperation);

    pub fn ops(self) -> impl Iterator<Item = Op> {
        let mut cur = self.first_op();
        std::iter::from_fn(move || {
            let o = cur?;
            cur = o.next();
            Some(o)
        })
    }

    indexed_children!(num_arguments, argument, arguments, Value, mlirBlockGetNumArguments, mlirBlockGetArgument, "block argument");

    nullable_child!(terminator, Op, mlirBlockGetTerminator);

    nullable_child!(parent_op, Op, mlirBlockGetParentOperation);

    /// Appends the detached `op`; the block owns it from then on.
    pub fn append(self, op: Op) {
        assert!(op.block().is_none(), "appending an op that is already in a block");
        // SAFETY: live block and op (module invariant); `op` is detached.
        unsafe { mlirBlockAppendOwnedOperation(self.0, op.0) }
    }

    /// Moves `op` from the block it is in to the end of this block (blocks
    /// own it all along).
    pub fn move_to_end(self, op: Op) {
        assert!(op.block().is_some(), "moving an op that is in no block");
        // SAFETY: live op (module invariant), in a block: removing it makes
        // it detached, and the block below takes it at once.
        unsafe { mlirOperationRemoveFromParent(op.0) }
        // SAFETY: live block and op (module invariant); `op` is detached now.
        unsafe { mlirBlockAppendOwnedOperation(self.0, op.0) }
    }

    /// Inserts the detached `op` first; the block owns it from then on.
    pub fn insert_at_start(self, op: Op) {
        assert!(op.block().is_none(), "inserting an op that is already in a block");
        // SAFETY: live block and op (module invariant); `op` is detached.
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
        // SAFETY: live value (module invariant).
        Type(unsafe { mlirValueGetType(self.0) })
    }

    pub fn set_type(self, t: Type) {
        // SAFETY: live value (module invariant).
        let is_argument = unsafe { mlirValueIsABlockArgument(self.0) };
        if is_argument {
            // SAFETY: live value and type, checked to be a block argument.
            unsafe { mlirBlockArgumentSetType(self.0, t.0) }
        } else {
            // SAFETY: live value and type (an op result).
            unsafe { mlirValueSetType(self.0, t.0) }
        }
    }

    pub fn def(self) -> ValueDef {
        // SAFETY: live value (module invariant).
        if unsafe { mlirValueIsAOpResult(self.0) } {
            // SAFETY: live value, checked to be an op result.
            let (owner, number) = unsafe { (mlirOpResultGetOwner(self.0), mlirOpResultGetResultNumber(self.0)) };
            ValueDef::Result(Op(owner), number as usize)
        } else {
            // SAFETY: live value; a value that is not an op result is a block argument.
            let (owner, number) = unsafe { (mlirBlockArgumentGetOwner(self.0), mlirBlockArgumentGetArgNumber(self.0)) };
            ValueDef::Argument(Block(owner), number as usize)
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
        // SAFETY: live value (module invariant); the use may be null, which
        // the C API tests for.
        !unsafe { mlirOpOperandIsNull(mlirValueGetFirstUse(self.0)) }
    }

    /// (user op, operand number) for every use, in use-list order.
    pub fn uses(self) -> Vec<(Op, usize)> {
        let mut out = Vec::new();
        // SAFETY: live value (module invariant).
        let mut u = unsafe { mlirValueGetFirstUse(self.0) };
        // SAFETY: `u` is a use of this value or null, which the C API tests for.
        while !unsafe { mlirOpOperandIsNull(u) } {
            // SAFETY: `u` is a non-null use of this live value.
            let (owner, number, next) =
                unsafe { (mlirOpOperandGetOwner(u), mlirOpOperandGetOperandNumber(u), mlirOpOperandGetNextUse(u)) };
            out.push((Op(owner), number as usize));
            u = next;
        }
        out
    }

    pub fn replace_all_uses_with(self, with: Value) {
        // SAFETY: live values (module invariant).
        unsafe { mlirValueReplaceAllUsesOfWith(self.0, with.0) }
    }

    pub fn location(self) -> Location {
        // SAFETY: live value (module invariant).
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
        // SAFETY: live context (module invariant); `text` outlives the call.
        let t = Type(unsafe { mlirTypeParseGet(ctx.0, sref(text)) });
        (!t.is_null()).then_some(t)
    }

    pub fn is_ranked_tensor(self) -> bool {
        // SAFETY: live type (module invariant).
        unsafe { mlirTypeIsARankedTensor(self.0) }
    }

    pub fn is_shaped(self) -> bool {
        // SAFETY: live type (module invariant).
        unsafe { mlirTypeIsAShaped(self.0) }
    }

    /// Dims of a ranked shaped type (`None` entries are dynamic).
    pub fn shape(self) -> Option<Vec<Option<i64>>> {
        // SAFETY: live type (module invariant), checked to be shaped before
        // it is asked for a rank.
        if !self.is_shaped() || !unsafe { mlirShapedTypeHasRank(self.0) } {
            return None;
        }
        // SAFETY: live type, checked to be a ranked shaped type.
        let rank = unsafe { mlirShapedTypeGetRank(self.0) };
        let dim = |i: isize| {
            // SAFETY: ranked shaped type, `i` below its rank.
            let dynamic = unsafe { mlirShapedTypeIsDynamicDim(self.0, i) };
            // SAFETY: as above.
            (!dynamic).then(|| unsafe { mlirShapedTypeGetDimSize(self.0, i) })
        };
        Some((0..rank as isize).map(dim).collect())
    }

    /// Dims of a ranked tensor, [`DYNAMIC`] where a dim is dynamic (a
    /// batch of any size): the form the rewrite's shapes take, so that a
    /// channel dim can be pruned next to a dynamic one.
    pub fn shape_or_dynamic(self) -> Option<Vec<i64>> {
        if !self.is_ranked_tensor() {
            return None;
        }
        Some(self.shape()?.into_iter().map(|d| d.unwrap_or(DYNAMIC)).collect())
    }

    /// Dims of a ranked tensor with a fully static shape.
    pub fn static_shape(self) -> Option<Vec<i64>> {
        if !self.is_ranked_tensor() {
            return None;
        }
        self.shape()?.into_iter().collect()
    }

    pub fn element_type(self) -> Option<Type> {
        // SAFETY: live type (module invariant), checked to be shaped.
        self.is_shaped().then(|| Type(unsafe { mlirShapedTypeGetElementType(self.0) }))
    }

    pub fn float_kind(self) -> Option<FloatKind> {
        // SAFETY: live type (module invariant).
        let (f32, f16, bf16, f64) =
            unsafe { (mlirTypeIsAF32(self.0), mlirTypeIsAF16(self.0), mlirTypeIsABF16(self.0), mlirTypeIsAF64(self.0)) };
        if f32 {
            Some(FloatKind::F32)
        } else if f16 {
            Some(FloatKind::F16)
        } else if bf16 {
            Some(FloatKind::BF16)
        } else if f64 {
            Some(FloatKind::F64)
        } else {
            None
        }
    }

    pub fn is_index(self) -> bool {
        // SAFETY: live type (module invariant).
        unsafe { mlirTypeIsAIndex(self.0) }
    }

    pub fn integer_width(self) -> Option<u32> {
        // SAFETY: live type (module invariant).
        let is_integer = unsafe { mlirTypeIsAInteger(self.0) };
        // SAFETY: live type, checked to be an integer type.
        is_integer.then(|| unsafe { mlirIntegerTypeGetWidth(self.0) })
    }

    /// A ranked tensor type with the given static shape, keeping the element
    /// type and encoding of `self`, which must be a ranked tensor type.
    /// A negative dim ([`DYNAMIC`]) is dynamic.
    pub fn ranked_tensor_like(self, shape: &[i64]) -> Type {
        assert!(self.is_ranked_tensor(), "{self} is not a ranked tensor type");
        let shape: Vec<i64> = shape.iter().map(|&d| if d < 0 { MLIR_DYNAMIC } else { d }).collect();
        // SAFETY: live type (module invariant), checked to be a ranked tensor.
        let (elem, enc) = unsafe { (mlirShapedTypeGetElementType(self.0), mlirRankedTensorTypeGetEncoding(self.0)) };
        // SAFETY: `shape` holds `shape.len()` dims and outlives the call;
        // `elem` and `enc` come from a live type.
        Type(unsafe { mlirRankedTensorTypeGet(shape.len() as isize, shape.as_ptr(), elem, enc) })
    }

    /// The function type `(inputs) -> (results)`.
    pub fn function(ctx: Context, inputs: &[Type], results: &[Type]) -> Type {
        let inputs: Vec<MlirType> = inputs.iter().map(|t| t.0).collect();
        let results: Vec<MlirType> = results.iter().map(|t| t.0).collect();
        // SAFETY: live context and types (module invariant); both arrays
        // hold the counts given and outlive the call.
        Type(unsafe {
            mlirFunctionTypeGet(ctx.0, inputs.len() as isize, inputs.as_ptr(), results.len() as isize, results.as_ptr())
        })
    }

    /// The result types of a function type.
    pub fn function_results(self) -> Option<Vec<Type>> {
        // SAFETY: live type (module invariant).
        if !unsafe { mlirTypeIsAFunction(self.0) } {
            return None;
        }
        // SAFETY: live type, checked to be a function type.
        let n = unsafe { mlirFunctionTypeGetNumResults(self.0) };
        // SAFETY: function type, `i` below its result count.
        Some((0..n).map(|i| Type(unsafe { mlirFunctionTypeGetResult(self.0, i) })).collect())
    }

    pub fn context(self) -> Context {
        // SAFETY: live type (module invariant).
        Context(unsafe { mlirTypeGetContext(self.0) })
    }
}

printed_as_mlir!(Type, mlirTypePrint);

// ---------------------------------------------------------------- attributes

impl Attribute {
    pub fn parse(ctx: Context, text: &str) -> Option<Attribute> {
        // SAFETY: live context (module invariant); `text` outlives the call.
        let a = Attribute(unsafe { mlirAttributeParseGet(ctx.0, sref(text)) });
        (!a.is_null()).then_some(a)
    }

    pub fn string(ctx: Context, s: &str) -> Attribute {
        // SAFETY: live context (module invariant); `s` outlives the call.
        Attribute(unsafe { mlirStringAttrGet(ctx.0, sref(s)) })
    }

    /// A `TypeAttr` holding `ty`.
    pub fn of_type(ty: Type) -> Attribute {
        // SAFETY: live type (module invariant).
        Attribute(unsafe { mlirTypeAttrGet(ty.0) })
    }

    /// The type a `TypeAttr` holds.
    pub fn type_value(self) -> Option<Type> {
        // SAFETY: live attribute (module invariant).
        if !unsafe { mlirAttributeIsAType(self.0) } {
            return None;
        }
        // SAFETY: live attribute, checked to be a type attribute.
        let t = Type(unsafe { mlirTypeAttrGetValue(self.0) });
        (!t.is_null()).then_some(t)
    }

    pub fn string_value(self) -> Option<&'static str> {
        // SAFETY: live attribute (module invariant).
        let is_string = unsafe { mlirAttributeIsAString(self.0) };
        // SAFETY: live attribute, checked to be a string attribute, whose
        // value lives in the context during the call.
        is_string.then(|| unsafe { context_str(mlirStringAttrGetValue(self.0)) })
    }

    pub fn flat_symbol(self) -> Option<&'static str> {
        // SAFETY: live attribute (module invariant).
        let is_symbol = unsafe { mlirAttributeIsAFlatSymbolRef(self.0) };
        // SAFETY: live attribute, checked to be a flat symbol reference,
        // whose value lives in the context during the call.
        is_symbol.then(|| unsafe { context_str(mlirFlatSymbolRefAttrGetValue(self.0)) })
    }

    pub fn integer_value(self) -> Option<i64> {
        // SAFETY: live attribute (module invariant).
        let is_integer = unsafe { mlirAttributeIsAInteger(self.0) };
        // SAFETY: live attribute, checked to be an integer attribute.
        is_integer.then(|| unsafe { mlirIntegerAttrGetValueInt(self.0) })
    }

    pub fn float_value(self) -> Option<f64> {
        // SAFETY: live attribute (module invariant).
        let is_float = unsafe { mlirAttributeIsAFloat(self.0) };
        // SAFETY: live attribute, checked to be a float attribute.
        is_float.then(|| unsafe { mlirFloatAttrGetValueDouble(self.0) })
    }

    pub fn ty(self) -> Type {
        // SAFETY: live attribute (module invariant).
        Type(unsafe { mlirAttributeGetType(self.0) })
    }

    pub fn array_elements(self) -> Option<Vec<Attribute>> {
        // SAFETY: live attribute (module invariant).
        if !unsafe { mlirAttributeIsAArray(self.0) } {
            return None;
        }
        // SAFETY: live attribute, checked to be an array.
        let n = unsafe { mlirArrayAttrGetNumElements(self.0) };
        // SAFETY: array attribute, `i` below its length.
        Some((0..n).map(|i| Attribute(unsafe { mlirArrayAttrGetElement(self.0, i) })).collect())
    }

    /// `array<i64: ...>` / `array<i32: ...>` contents.
    pub fn dense_int_array(self) -> Option<Vec<i64>> {
        // SAFETY: live attribute (module invariant).
        let (is_i64, is_i32) = unsafe { (mlirAttributeIsADenseI64Array(self.0), mlirAttributeIsADenseI32Array(self.0)) };
        if !is_i64 && !is_i32 {
            return None;
        }
        // SAFETY: live attribute, checked to be a dense array.
        let n = unsafe { mlirDenseArrayGetNumElements(self.0) };
        if is_i64 {
            // SAFETY: dense i64 array, `i` below its length.
            Some((0..n).map(|i| unsafe { mlirDenseI64ArrayGetElement(self.0, i) }).collect())
        } else {
            // SAFETY: dense i32 array, `i` below its length.
            Some((0..n).map(|i| unsafe { mlirDenseI32ArrayGetElement(self.0, i) } as i64).collect())
        }
    }

    pub fn dense_i64_array(ctx: Context, values: &[i64]) -> Attribute {
        // SAFETY: live context (module invariant); `values` outlives the call.
        Attribute(unsafe { mlirDenseI64ArrayGet(ctx.0, values.len() as isize, values.as_ptr()) })
    }

    pub fn affine_map(self) -> Option<AffineMap> {
        // SAFETY: live attribute (module invariant).
        let is_map = unsafe { mlirAttributeIsAAffineMap(self.0) };
        // SAFETY: live attribute, checked to be an affine map attribute.
        is_map.then(|| AffineMap(unsafe { mlirAffineMapAttrGetValue(self.0) }))
    }

    pub fn is_dense_elements(self) -> bool {
        // SAFETY: live attribute (module invariant).
        unsafe { mlirAttributeIsADenseElements(self.0) }
    }

    /// A `dense<...>` attribute holding one repeated value.
    pub fn is_splat(self) -> bool {
        // SAFETY: live attribute (module invariant), checked to be dense
        // elements before it is asked whether it is a splat.
        self.is_dense_elements() && unsafe { mlirDenseElementsAttrIsSplat(self.0) }
    }

    pub fn is_dense_resource(self) -> bool {
        // SAFETY: live attribute (module invariant).
        unsafe { mlirAttributeIsADenseResourceElements(self.0) }
    }

    /// The value of a float splat `dense<...>` attribute.
    pub fn splat_float_value(self) -> Option<f64> {
        if !self.is_splat() {
            return None;
        }
        // SAFETY: live attribute, checked to be a dense splat.
        Attribute(unsafe { mlirDenseElementsAttrGetSplatValue(self.0) }).float_value()
    }

    /// This splat `dense<...>` attribute's value repeated over the static
    /// shaped type `ty`, which must have the same element type.
    pub fn splat_of(self, ty: Type) -> Option<Attribute> {
        if !self.is_splat() || ty.static_shape().is_none() || ty.element_type()? != self.ty().element_type()? {
            return None;
        }
        // SAFETY: live attribute, checked to be a dense splat.
        let element = unsafe { mlirDenseElementsAttrGetSplatValue(self.0) };
        // SAFETY: `ty` is a static shaped type whose element type is the
        // element's type.
        Some(Attribute(unsafe { mlirDenseElementsAttrSplatGet(ty.0, element) }))
    }

    /// This float scalar or float splat attribute with its value replaced
    /// by `x` (same type, rounded to it).
    pub fn with_float_value(self, x: f64) -> Option<Attribute> {
        // SAFETY: live attribute (module invariant).
        if unsafe { mlirAttributeIsAFloat(self.0) } {
            // SAFETY: a float attribute: its context and float type are live.
            return Some(Attribute(unsafe { mlirFloatAttrDoubleGet(self.context().0, self.ty().0, x) }));
        }
        if !self.is_splat() {
            return None;
        }
        // SAFETY: live attribute, checked to be a dense splat.
        let element = Attribute(unsafe { mlirDenseElementsAttrGetSplatValue(self.0) });
        // SAFETY: live attribute (module invariant).
        if !unsafe { mlirAttributeIsAFloat(element.0) } {
            return None;
        }
        let scalar = element.with_float_value(x)?;
        // SAFETY: the splat's own shaped type, and a value of its element type.
        Some(Attribute(unsafe { mlirDenseElementsAttrSplatGet(self.ty().0, scalar.0) }))
    }

    /// Integer contents of a dense int elements attribute (`dense<[1, 2]>`
    /// of any integer or index type).
    pub fn dense_int_values(self) -> Option<Vec<i64>> {
        // SAFETY: live attribute (module invariant).
        if !unsafe { mlirAttributeIsADenseIntElements(self.0) } {
            return None;
        }
        let t = self.ty();
        // Tensor or vector (conv strides are `dense<1> : vector<2xi64>`).
        let n: i64 = t.shape()?.into_iter().collect::<Option<Vec<i64>>>()?.iter().product();
        // SAFETY: live attribute, checked to be dense elements.
        let splat = unsafe { mlirDenseElementsAttrIsSplat(self.0) };
        let elem = t.element_type()?;
        // Each reader needs elements of exactly its width; an integer of
        // another width (i4, i128) is not read at all.
        #[derive(Clone, Copy)]
        enum Width {
            Index,
            I64,
            I32,
            I16,
            I8,
            I1,
        }
        let width = if elem.is_index() {
            Width::Index
        } else {
            match elem.integer_width()? {
                64 => Width::I64,
                32 => Width::I32,
                16 => Width::I16,
                8 => Width::I8,
                1 => Width::I1,
                _ => return None,
            }
        };
        let get = |i: isize| -> i64 {
            let i = if splat { 0 } else { i };
            // SAFETY: dense int elements whose element width the reader
            // matches, with `n` elements (one stored for a splat), `i` below.
            unsafe {
                match width {
                    Width::Index => mlirDenseElementsAttrGetIndexValue(self.0, i) as i64,
                    Width::I64 => mlirDenseElementsAttrGetInt64Value(self.0, i),
                    Width::I32 => mlirDenseElementsAttrGetInt32Value(self.0, i) as i64,
                    Width::I16 => mlirDenseElementsAttrGetInt16Value(self.0, i) as i64,
                    Width::I8 => mlirDenseElementsAttrGetInt8Value(self.0, i) as i64,
                    Width::I1 => mlirDenseElementsAttrGetBoolValue(self.0, i) as i64,
                }
            }
        };
        Some((0..n as isize).map(get).collect())
    }

    pub fn context(self) -> Context {
        // SAFETY: live attribute (module invariant).
        Context(unsafe { mlirAttributeGetContext(self.0) })
    }
}

printed_as_mlir!(Attribute, mlirAttributePrint);

// ---------------------------------------------------------------- affine maps

/// An affine map, read into the small form the analysis needs.
#[derive(Clone, Copy)]
pub struct AffineMap(MlirAffineMap);

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
        // SAFETY: live map (module invariant).
        unsafe { mlirAffineMapGetNumDims(self.0) as usize }
    }

    pub fn results(self) -> Vec<MapExpr> {
        // SAFETY: live map (module invariant).
        let n = unsafe { mlirAffineMapGetNumResults(self.0) };
        let dims = self.num_dims();
        let expr = |i: isize| {
            // SAFETY: live map (module invariant), `i` below its result
            // count; the expression is asked for a position or a value only
            // once its kind is known.
            unsafe {
                let e = mlirAffineMapGetResult(self.0, i);
                if mlirAffineExprIsADim(e) {
                    MapExpr::Dim(mlirAffineDimExprGetPosition(e) as usize)
                } else if mlirAffineExprIsAConstant(e) {
                    MapExpr::Constant(mlirAffineConstantExprGetValue(e))
                } else {
                    MapExpr::Compound((0..dims).filter(|&d| mlirAffineExprIsFunctionOfDim(e, d as isize)).collect())
                }
            }
        };
        (0..n).map(expr).collect()
    }
}

/// The indexing maps of any linalg structured op (named ops included).
pub fn linalg_indexing_maps(op: Op) -> Option<Vec<AffineMap>> {
    // SAFETY: live op (module invariant); the C API returns null for an op
    // that is not a linalg op.
    let attr = Attribute(unsafe { mlirLinalgGetIndexingMapsAttribute(op.0) });
    if attr.is_null() {
        return None;
    }
    attr.array_elements()?.into_iter().map(|a| a.affine_map()).collect()
}

pub fn linalg_is_contraction(op: Op) -> bool {
    // SAFETY: live op (module invariant).
    unsafe { mlirLinalgIsAContractionOp(op.0) }
}

pub fn linalg_is_convolution(op: Op) -> bool {
    // SAFETY: live op (module invariant).
    unsafe { mlirLinalgIsAConvolutionOp(op.0) }
}

// ---------------------------------------------------------------- diagnostics

/// Emits an error diagnostic at `loc` through the context's handlers.
pub fn emit_error(loc: Location, message: &str) {
    let c = std::ffi::CString::new(message.replace('\0', " ")).unwrap_or_default();
    // SAFETY: live location (module invariant); `c` is NUL-terminated and
    // outlives the call.
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
