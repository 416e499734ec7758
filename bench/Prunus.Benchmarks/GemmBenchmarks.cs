using BenchmarkDotNet.Attributes;
using Prunus.Kernels;
using Prunus.Threading;

namespace Prunus.Benchmarks;

/// <summary>
/// GEMM at 1024^3 and the model shapes, plain and with pre-packed B, on 1 and 2 threads
/// (`dotnet run -c Release --project bench/Prunus.Benchmarks -- --filter *GemmBenchmarks*`).
/// </summary>
[MemoryDiagnoser]
public class GemmBenchmarks
{
    private float[] _a = [], _b = [], _c = [];
    private PackedMatrix? _packed;
    private WorkerPool? _pool;
    private GemmGflops.Shape _s = null!;

    /// <summary>Shape name from <see cref="GemmGflops.ModelShapes"/>, or "1024^3".</summary>
    [ParamsSource(nameof(ShapeNames))]
    public string Shape { get; set; } = "1024^3";

    [Params(1, 2)]
    public int Threads { get; set; }

    public static IEnumerable<string> ShapeNames() => new[] { "1024^3" }.Concat(GemmGflops.ModelShapes.Select(s => s.Name));

    [GlobalSetup]
    public void Setup()
    {
        _s = GemmGflops.ModelShapes.FirstOrDefault(s => s.Name == Shape) ?? new GemmGflops.Shape("1024^3", 1024, 1024, 1024);
        var rng = new Random(1);
        _a = Enumerable.Range(0, _s.M * _s.K).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray();
        _b = Enumerable.Range(0, _s.K * _s.N).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray();
        _c = new float[_s.M * _s.N];
        _packed = _s.Packed ? Gemm.PackB(_s.TransB, _s.K, _s.N, _b, _s.TransB ? _s.K : _s.N) : null;
        _pool = new WorkerPool(Threads);
    }

    [GlobalCleanup]
    public void Cleanup() => _pool?.Dispose();

    [Benchmark]
    public void Multiply()
    {
        int lda = _s.TransA ? _s.M : _s.K, ldb = _s.TransB ? _s.K : _s.N;
        if (_packed is not null) Gemm.Multiply(_s.TransA, _s.M, 1f, _a, lda, _packed, 0f, _c, _s.N, default, _pool);
        else Gemm.Multiply(_s.TransA, _s.TransB, _s.M, _s.N, _s.K, 1f, _a, lda, _b, ldb, 0f, _c, _s.N, _pool);
    }
}
