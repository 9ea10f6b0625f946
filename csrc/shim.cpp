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

#include <cstdio>
#include <cstring>
#include <sys/mman.h>
#include <unistd.h>

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

/// Whether [lo, hi) lies in one read-only mapping of a file, by
/// /proc/self/maps: such pages were never written, so dropping them loses
/// nothing (the next read faults them in from the file again). Heap and
/// anonymous memory never qualify: dropping those would zero them.
static bool inReadOnlyFileMapping(uintptr_t lo, uintptr_t hi) {
  FILE *maps = std::fopen("/proc/self/maps", "r");
  if (!maps)
    return false;
  char line[4096];
  bool found = false;
  while (!found && std::fgets(line, sizeof line, maps)) {
    unsigned long start = 0, end = 0, inode = 0;
    char perms[8] = {0};
    int path = 0;
    if (std::sscanf(line, "%lx-%lx %7s %*s %*s %lu %n", &start, &end, perms,
                    &inode, &path) < 4)
      continue;
    bool file = inode != 0 && path > 0 && line[path] == '/';
    found = lo >= start && hi <= end && file && perms[1] == '-';
  }
  std::fclose(maps);
  return found;
}

/// Drops from memory the pages of a `dense_resource` blob that points into
/// the mapped input file (bytecode input), once the pruned copy of that
/// weight exists: without this the original weights stay resident beside
/// their copies until the module is printed. Pages at the blob's ends that
/// it shares with its neighbours are kept. Returns whether pages were
/// dropped; blobs in the heap (text input, pruned copies) are left alone.
bool mcpruneReleaseMappedBlob(MlirAttribute attr) {
  const void *data = nullptr;
  size_t size = 0;
  if (!mcpruneDenseResourceGetBlob(attr, &data, &size) || size == 0)
    return false;
  uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  uintptr_t begin = reinterpret_cast<uintptr_t>(data);
  uintptr_t lo = (begin + page - 1) / page * page;
  uintptr_t hi = (begin + size) / page * page;
  if (hi <= lo || !inReadOnlyFileMapping(begin, begin + size))
    return false;
  return madvise(reinterpret_cast<void *>(lo), hi - lo, MADV_DONTNEED) == 0;
}

} // extern "C"
