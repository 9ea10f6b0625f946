// Name locations from PyTorch (module paths) and ONNX (node paths), found
// through fused and call-site locations; `depth` picks the path prefix.
// RUN: %mcprune-opt --component-tag %s | FileCheck %s --check-prefix=DEPTH1
// RUN: %mcprune-opt --component-tag=depth=2 %s | FileCheck %s --check-prefix=DEPTH2
// RUN: %mcprune-opt --component-tag=strategy=func %s | FileCheck %s --check-prefix=FUNC

#file = loc("model.py":10:4)
func.func @f(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %a = math.tanh %x : tensor<2x4xf32> loc("encoder.net.0"(#file))
  %b = math.exp %a : tensor<2x4xf32> loc("/dynamics/fc1/Exp")
  %c = math.sin %b : tensor<2x4xf32> loc(fused["model.py":11:2, "reward.head.1"])
  %d = math.cos %c : tensor<2x4xf32> loc(callsite("pi.mlp.2"("layers.py":5:1) at "model.py":12:2))
  %e = math.absf %d : tensor<2x4xf32> loc("model.py":13:2)
  return %e : tensor<2x4xf32>
}
// DEPTH1: math.tanh %{{.*}} {mcprune.component = "encoder"}
// DEPTH1: math.exp %{{.*}} {mcprune.component = "dynamics"}
// DEPTH1: math.sin %{{.*}} {mcprune.component = "reward"}
// DEPTH1: math.cos %{{.*}} {mcprune.component = "pi"}
// Unnamed: the component of its operand's producer.
// DEPTH1: math.absf %{{.*}} {mcprune.component = "pi"}

// DEPTH2: math.tanh %{{.*}} {mcprune.component = "encoder.net"}
// DEPTH2: math.exp %{{.*}} {mcprune.component = "dynamics/fc1"}
// DEPTH2: math.sin %{{.*}} {mcprune.component = "reward.head"}
// DEPTH2: math.cos %{{.*}} {mcprune.component = "pi.mlp"}

// No function is called, so strategy=func places nothing: no tags.
// FUNC-NOT: mcprune.component
