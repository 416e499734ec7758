using Prunus.Data;

namespace Prunus.Tests.Data;

public sealed class FashionMnistTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("prunus-fmnist-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private void WriteSet(string dir, string sep, bool gzip, int train = 5, int test = 3)
    {
        Directory.CreateDirectory(dir);
        void Put(string stem, string kind, byte[] raw) =>
            File.WriteAllBytes(Path.Combine(dir, $"{stem}{sep}{kind}-ubyte{(gzip ? ".gz" : "")}"), gzip ? IdxTests.Gzip(raw) : raw);
        Put("train-images", "idx3", IdxTests.Idx([train, 28, 28], new byte[train * 784]));
        Put("train-labels", "idx1", IdxTests.Idx([train], Enumerable.Range(0, train).Select(i => (byte)(i % 10)).ToArray()));
        Put("t10k-images", "idx3", IdxTests.Idx([test, 28, 28], new byte[test * 784]));
        Put("t10k-labels", "idx1", IdxTests.Idx([test], Enumerable.Range(0, test).Select(i => (byte)(9 - i)).ToArray()));
    }

    [Theory]
    [InlineData("-", true)]
    [InlineData("-", false)]
    [InlineData(".", false)]
    public void Finds_and_loads_both_namings(string sep, bool gzip)
    {
        WriteSet(_dir, sep, gzip);
        var files = FashionMnist.Locate(_dir);
        Assert.EndsWith(gzip ? ".gz" : "ubyte", files.TrainImages);
        var (train, test) = FashionMnist.Load(_dir);
        Assert.Equal(5, train.Count);
        Assert.Equal(3, test.Count);
        Assert.Equal(new[] { 1, 28, 28 }, train.SampleShape);
        Assert.Equal(10, train.ClassCount);
        Assert.Equal(new[] { 9, 8, 7 }, test.Labels.ToArray());
        Assert.Equal("Ankle boot", test.ClassNames![test.Labels[0]]);
    }

    [Fact]
    public void Missing_files_give_instructions()
    {
        var e = Assert.Throws<DataException>(() => FashionMnist.Locate(_dir));
        Assert.Contains(_dir, e.Message);
        Assert.Contains("apt-get install dataset-fashion-mnist", e.Message);
        Assert.Contains("--data DIR", e.Message);
    }

    [Fact]
    public void An_incomplete_folder_names_the_missing_files()
    {
        WriteSet(_dir, "-", true);
        File.Delete(Path.Combine(_dir, "t10k-images-idx3-ubyte.gz"));
        var e = Assert.Throws<DataException>(() => FashionMnist.Locate(_dir));
        Assert.Contains(Path.Combine(_dir, "t10k-images-idx3-ubyte"), e.Message);
        Assert.Contains("incomplete", e.Message);
        Assert.DoesNotContain("train-images", e.Message);
    }

    [Fact]
    public void Environment_variable_is_used_with_a_subdirectory()
    {
        WriteSet(Path.Combine(_dir, "fashion-mnist"), "-", true);
        var old = Environment.GetEnvironmentVariable(FashionMnist.EnvironmentVariable);
        try
        {
            Environment.SetEnvironmentVariable(FashionMnist.EnvironmentVariable, _dir);
            Assert.Equal(Path.Combine(_dir, "fashion-mnist"), FashionMnist.Locate().Directory);
        }
        finally { Environment.SetEnvironmentVariable(FashionMnist.EnvironmentVariable, old); }
    }

    [Fact]
    public void Image_and_label_counts_must_agree()
    {
        WriteSet(_dir, "-", false);
        File.WriteAllBytes(Path.Combine(_dir, "train-labels-idx1-ubyte"), IdxTests.Idx([4], [0, 1, 2, 3]));
        Assert.Contains("4 labels", Assert.Throws<DataException>(() => FashionMnist.Load(_dir)).Message);
    }

    [Fact]
    public void Labels_outside_ten_classes_are_rejected()
    {
        WriteSet(_dir, "-", false);
        File.WriteAllBytes(Path.Combine(_dir, "t10k-labels-idx1-ubyte"), IdxTests.Idx([3], [0, 10, 2]));
        Assert.Contains("label 1 is 10", Assert.Throws<DataException>(() => FashionMnist.Load(_dir)).Message);
    }

    [Fact]
    public void The_installed_package_reads_when_present()
    {
        if (FashionMnist.Find(FashionMnist.SystemDirectory) is not { } files) return; // dataset-fashion-mnist not installed
        var test = FashionMnist.LoadSet(files.TestImages, files.TestLabels);
        Assert.Equal(10_000, test.Count);
        Assert.Equal(new[] { 1, 28, 28 }, test.SampleShape);
        var counts = new int[10];
        foreach (var l in test.Labels) counts[l]++;
        Assert.All(counts, c => Assert.Equal(1000, c));
    }
}
