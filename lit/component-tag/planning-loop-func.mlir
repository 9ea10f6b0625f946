// Components are functions: ops of @dynamics, called from an scf.for
// planning loop in @main, are tagged "dynamics", and so is the call.
// RUN: %mcprune-opt --component-tag %fixtures/planning_loop.mlir | FileCheck %s
// RUN: %mcprune-opt --component-tag=strategy=func %fixtures/planning_loop.mlir | FileCheck %s

// CHECK-LABEL: func.func @encoder
// CHECK: linalg.matmul {mcprune.component = "encoder"}
// CHECK-LABEL: func.func @dynamics
// CHECK: arith.constant {mcprune.component = "dynamics"} dense<2.500000e-01> : tensor<8x8xf32>
// CHECK: linalg.matmul {mcprune.component = "dynamics"}
// CHECK: math.tanh %{{.*}} {mcprune.component = "dynamics"}
// CHECK-LABEL: func.func @reward
// CHECK: linalg.matmul {mcprune.component = "reward"}
// CHECK-LABEL: func.func @pi
// CHECK: linalg.matmul {mcprune.component = "pi"}
// CHECK-LABEL: func.func @main
// CHECK: call @encoder(%{{.*}}) {mcprune.component = "encoder"}
// CHECK: scf.for
// CHECK: func.call @reward(%{{.*}}) {mcprune.component = "reward"}
// CHECK: func.call @dynamics(%{{.*}}) {mcprune.component = "dynamics"}
// CHECK: call @pi(%{{.*}}) {mcprune.component = "pi"}
