// Small additions to the MLIR C API that mcprune needs and MLIR 22 lacks.
//
// The C API reads `dense_resource` blobs one element at a time (and only for
// a few element types). Pruning reads every weight, so it takes the blob's
// bytes in place instead: zero copies, any element type.

#include "mlir-c/IR.h"
#include "mlir/CAPI/IR.h"
#include "mlir/CAPI/Support.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"

extern "C" {

/// Returns true and the blob's bytes when `attr` is a `dense_resource` whose
/// blob is present; false when it is not such an attribute or the blob is
/// missing (for example `__elided__`).
bool mcpruneDenseResourceGetBlob(MlirAttribute attr, const void **data,
                                 size_t *size) {
  auto res = llvm::dyn_cast<mlir::DenseResourceElementsAttr>(unwrap(attr));
  if (!res)
    return false;
  mlir::AsmResourceBlob *blob = res.getRawHandle().getBlob();
  if (!blob)
    return false;
  llvm::ArrayRef<char> bytes = blob->getData();
  *data = bytes.data();
  *size = bytes.size();
  return true;
}

/// Parses the file at `path` (text or bytecode) into a module, as
/// `mlirModuleCreateParseFromFile` does, but reads it into a page-aligned
/// buffer. Bytecode asks for its resource section's alignment (the largest
/// blob alignment); LLVM reads small files into a heap buffer aligned to 16
/// bytes only, and the bytecode reader then fails at random with "expected
/// section alignment N but bytecode buffer ... is not aligned". Large files
/// are still mapped, not copied, and blobs keep pointing into the mapping.
/// Returns a null module on failure; the diagnostics went to the context.
MlirModule mcpruneParseFileAligned(MlirContext ctx, MlirStringRef path) {
  mlir::MLIRContext *context = unwrap(ctx);
  llvm::StringRef name = unwrap(path);
  auto file = llvm::MemoryBuffer::getFileOrSTDIN(
      name, /*IsText=*/false, /*RequiresNullTerminator=*/true,
      llvm::Align(4096));
  if (!file) {
    mlir::emitError(mlir::FileLineColLoc::get(context, name, 0, 0))
        << "could not open input file: " << file.getError().message();
    return MlirModule{nullptr};
  }
  auto sourceMgr = std::make_shared<llvm::SourceMgr>();
  sourceMgr->AddNewSourceBuffer(std::move(*file), llvm::SMLoc());
  mlir::ParserConfig config(context);
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceFile<mlir::ModuleOp>(sourceMgr, config);
  if (!module)
    return MlirModule{nullptr};
  return wrap(module.release());
}

} // extern "C"
