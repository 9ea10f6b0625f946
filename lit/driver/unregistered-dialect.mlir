// Ops of unknown dialects need --allow-unregistered-dialect.
// RUN: %exit1 %mcprune-opt %s 2>&1 | FileCheck %s --check-prefix=REJECT
// RUN: %mcprune-opt %s --allow-unregistered-dialect | FileCheck %s --check-prefix=ACCEPT

func.func @f() -> i32 {
  %0 = "foo.bar"() : () -> i32
  return %0 : i32
}
// REJECT: unregistered-dialect.mlir:6:17: error: operation being parsed with an unregistered dialect
// REJECT-NEXT: {{^}}  %0 = "foo.bar"() : () -> i32
// REJECT-NEXT: {{^}}                ^
// ACCEPT: "foo.bar"() : () -> i32
