using Prunus.Graph.Onnx;

namespace Prunus.Tests.Onnx;

public class OnnxFuzzTests
{
    /// <summary>Small budgets, so that a mutated size can cost at most a few megabytes.</summary>
    private static readonly OnnxReadOptions Tight = new() { MaxTensorBytes = 64 << 20, MaxTensorBytesEach = 16 << 20 };

    public static TheoryData<string, int> Files() => new()
    {
        { "tiny_cnn.onnx", 101 },
        { "mixed_types.onnx", 202 },
        { "", 303 },  // the hand-built graph of every feature, as written by OnnxWriter
    };

    [Theory]
    [MemberData(nameof(Files))]
    public async Task Mutated_files_load_or_fail_with_a_model_exception(string fixture, int seed)
    {
        byte[] original = fixture.Length > 0
            ? File.ReadAllBytes(OnnxTestGraphs.Fixture(fixture))
            : OnnxWriter.ToBytes(OnnxTestGraphs.Everything());
        OnnxReader.Load(original, Tight);  // the unmutated file must load

        var run = Task.Run(() =>
        {
            var rng = new Random(seed);
            int loaded = 0, rejected = 0;
            for (int i = 0; i < 100; i++)
            {
                byte[] bytes = Mutate(original, rng, out string how);
                try
                {
                    var g = OnnxReader.Load(bytes, Tight);
                    // Whatever loads must also be writable.
                    OnnxWriter.ToBytes(g);
                    loaded++;
                }
                catch (ModelException)
                {
                    rejected++;
                }
                catch (Exception e)
                {
                    Assert.Fail($"mutation {i} ({how}) of {(fixture.Length > 0 ? fixture : "the hand-built graph")} threw {e.GetType().Name}: {e.Message}\n{e.StackTrace}");
                }
            }
            return (loaded, rejected);
        });

        var (ok, bad) = await run.WaitAsync(TimeSpan.FromSeconds(60));  // a TimeoutException here means a hang
        Assert.Equal(100, ok + bad);
        Assert.True(bad > 0, "no mutation was rejected: the mutations are not reaching the parser");
    }

    /// <summary>One to four random edits: flipped bits, random bytes, small integer tweaks, cuts, duplicated runs.</summary>
    private static byte[] Mutate(byte[] original, Random rng, out string how)
    {
        var bytes = new List<byte>(original);
        var log = new List<string>();
        int edits = 1 + rng.Next(4);
        for (int e = 0; e < edits && bytes.Count > 0; e++)
        {
            int at = rng.Next(bytes.Count);
            switch (rng.Next(6))
            {
                case 0:
                    bytes[at] ^= (byte)(1 << rng.Next(8));
                    log.Add($"flip@{at}");
                    break;
                case 1:
                    bytes[at] = (byte)rng.Next(256);
                    log.Add($"set@{at}");
                    break;
                case 2:
                    bytes[at] = (byte)(bytes[at] + (rng.Next(2) == 0 ? 1 : -1));
                    log.Add($"step@{at}");
                    break;
                case 3:
                    bytes.RemoveRange(at, bytes.Count - at);
                    log.Add($"cut@{at}");
                    break;
                case 4:
                {
                    int n = Math.Min(1 + rng.Next(16), bytes.Count - at);
                    bytes.InsertRange(at, bytes.GetRange(at, n));
                    log.Add($"dup@{at}+{n}");
                    break;
                }
                default:
                    // A large varint where a small one (a length or a dim) probably was.
                    bytes.InsertRange(at, new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0x0F });
                    log.Add($"varint@{at}");
                    break;
            }
        }
        how = string.Join(" ", log);
        return bytes.ToArray();
    }
}
