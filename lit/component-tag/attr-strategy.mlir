// Existing tags win under strategy=auto and strategy=attr; strategy=loc
// ignores them. A second run changes nothing (idempotent).
// RUN: %mcprune-opt --component-tag %s | FileCheck %s --check-prefix=AUTO
// RUN: %mcprune-opt --component-tag=strategy=attr %s | FileCheck %s --check-prefix=ATTR
// RUN: %mcprune-opt --component-tag=strategy=loc %s | FileCheck %s --check-prefix=LOC
// RUN: %mcprune-opt --component-tag %s > %t.once
// RUN: %mcprune-opt --component-tag --component-tag %s > %t.twice && diff %t.once %t.twice
// RUN: %mcprune-opt --component-tag %t.once | diff %t.once -

func.func @f(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %a = math.tanh %x {mcprune.component = "planner"} : tensor<2x4xf32> loc("encoder.0"("m.py":1:1))
  %b = math.exp %a : tensor<2x4xf32> loc("dynamics.0"("m.py":2:1))
  return %b : tensor<2x4xf32>
}
// AUTO: math.tanh %{{.*}} {mcprune.component = "planner"}
// AUTO: math.exp %{{.*}} {mcprune.component = "dynamics"}
// Only tags count; the untagged op takes its producer's component.
// ATTR: math.tanh %{{.*}} {mcprune.component = "planner"}
// ATTR: math.exp %{{.*}} {mcprune.component = "planner"}
// LOC: math.tanh %{{.*}} {mcprune.component = "encoder"}
