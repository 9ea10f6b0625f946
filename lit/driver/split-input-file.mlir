// --split-input-file: each piece on its own, outputs joined by the marker,
// diagnostics at the line numbers of the whole file. (The marker splits
// anywhere in a line, as in mlir-opt, so the checks below avoid writing it.)
// RUN: %mcprune-opt --split-input-file --allow-unregistered-dialect %s | FileCheck %s
// RUN: %mlir-opt --split-input-file --allow-unregistered-dialect %s > %t.ref
// RUN: %mcprune-opt --split-input-file --allow-unregistered-dialect %s | diff %t.ref -
// RUN: %exit1 %mcprune-opt --split-input-file %s 2>&1 | FileCheck %s --check-prefix=ERR

// CHECK-LABEL: func.func @first
func.func @first() {
  return
}

// -----

// CHECK: {{^}}// -{{-+}}{{$}}
// CHECK-LABEL: func.func @second
func.func @second() -> i32 {
  %0 = "foo.bar"() : () -> i32
  return %0 : i32
}
// ERR: split-input-file.mlir:[[@LINE-3]]:17: error: operation being parsed with an unregistered dialect

// -----

// CHECK: {{^}}// -{{-+}}{{$}}
// CHECK-LABEL: func.func @third
// CHECK-LABEL: func.func @fourth
func.func @third() {
  return
}
func.func @fourth() {
  return
}
