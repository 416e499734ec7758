using BenchmarkDotNet.Running;
using Prunus.Benchmarks;

if (args.Length > 0 && args[0] == "gemm-gflops") return GemmGflops.Run(args[1..]);
if (args.Length > 0 && args[0] == "gemm-peak") return GemmPeak.Run(args[1..]);
if (args.Length > 0 && args[0] == "ew-timing") return ElementwiseTiming.Run(args[1..]);
if (args.Length > 0 && args[0] == "plan-profile") return PlanProfile.Run(args[1..]);
if (args.Length > 0 && args[0] == "conv-timing") return ConvTiming.Run(args[1..]);
if (args.Length > 0 && args[0] == "pass-latency") return PassLatency.Run(args[1..]);
if (args.Length > 0 && args[0] == "obs-accuracy") return ObsAccuracy.Run(args[1..]);
if (args.Length > 0 && args[0] == "sparse-sweep") return SparseSweep.Run(args[1..]);
if (args.Length > 0 && args[0] == "qdq-build") return QdqBuild.Run(args[1..]);
if (args.Length > 0 && args[0] == "switch-ab") return SwitchAb.Run(args[1..]);
if (args.Length > 0 && args[0] == "pair-ab") return SwitchAb.RunPair(args[1..]);
if (args.Length > 0 && args[0] == "qkernel-timing") return QuantizedTiming.Run(args[1..]);
BenchmarkSwitcher.FromAssembly(typeof(GemmGflops).Assembly).Run(args);
return 0;
