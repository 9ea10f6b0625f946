// Small additions to the MLIR C API that mcprune needs and MLIR 22 lacks.
//
// The C API reads `dense_resource` blobs one element at a time (and only for
// a few element types). Pruning reads every weight, so it takes the blob's
// bytes in place instead: zero copies, any element type.

#include "mlir-c/IR.h"
#include "mlir/CAPI/IR.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"

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

} // extern "C"
