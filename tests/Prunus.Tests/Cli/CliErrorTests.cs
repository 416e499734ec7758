using System.Text;
using Prunus.Tensors;

namespace Prunus.Tests.Cli;

/// <summary>
/// Bad input: each gives exactly one error line on stderr naming the file or option, a non-zero exit and no stack
/// trace (unless --verbose); a failed command leaves no output behind and never modifies its inputs.
/// </summary>
public sealed class CliErrorTests(CliWorkspace ws) : IClassFixture<CliWorkspace>
{
    private const string Ds = SyntheticFashionMnist.TestImages;

    /// <summary>A copy of the gzipped dataset in a new folder, to damage.</summary>
    private string DataCopy(bool gzip = true)
    {
        var dir = ws.NewFolder("data");
        foreach (var f in Directory.GetFiles(gzip ? ws.DataGz : ws.DataRaw)) File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
        return dir;
    }

    private static string DataFile(string dir, string stem, bool gzip) => Path.Combine(dir, stem + (gzip ? ".gz" : ""));

    /// <summary>Runs a failing command and checks the one-line error, that no input changed, and that nothing was written.</summary>
    private CliResult Fails(string[] args, string[] mentions, string[]? inputs = null, string? outputDir = null, int? code = null)
    {
        var hashes = (inputs ?? []).Select(Cli.Hashes).ToList();
        var outBefore = outputDir is null ? null : Directory.GetFileSystemEntries(outputDir);
        var r = Cli.Run(args);
        r.SingleError(mentions);
        if (code is { } c) Assert.Equal(c, r.Code);
        for (int i = 0; i < hashes.Count; i++) Assert.Equal(hashes[i], Cli.Hashes(inputs![i]));
        if (outputDir is not null) Assert.Equal(outBefore, Directory.GetFileSystemEntries(outputDir));
        return r;
    }

    /// <summary>A quick train command line; options in <paramref name="more"/> replace the defaults of the same name.</summary>
    private static string[] TrainArgs(string data, string output, params string[] more)
    {
        string[] defaults = ["--model", "mlp", "--data", data, "--epochs", "1", "--limit", "64", "--threads", "1", "--out", output];
        var args = new List<string> { "train" };
        for (int i = 0; i < defaults.Length; i += 2)
            if (!more.Contains(defaults[i])) args.AddRange([defaults[i], defaults[i + 1]]);
        return [.. args, .. more];
    }

    // ---- datasets

    [Theory]
    [InlineData(SyntheticFashionMnist.TestLabels, "eval")]
    [InlineData(SyntheticFashionMnist.TrainImages, "train")]
    public void Missing_dataset_file_is_named(string missing, string command)
    {
        var data = DataCopy();
        File.Delete(DataFile(data, missing, gzip: true));
        var outDir = ws.NewFolder();
        string[] args = command == "eval"
            ? ["eval", ws.Mlp, "--data", data]
            : TrainArgs(data, Path.Combine(outDir, "m.onnx"));
        var line = Fails(args, [data, missing], inputs: [data, ws.Mlp], outputDir: outDir).ErrLines[0];
        // Only the missing file is named, not the ones that are there.
        Assert.Single(new[] { SyntheticFashionMnist.TrainImages, SyntheticFashionMnist.TrainLabels, SyntheticFashionMnist.TestImages,
            SyntheticFashionMnist.TestLabels }, f => line.Contains(f));
    }

    [Fact]
    public void Data_option_naming_a_file_is_refused()
    {
        var file = Path.Combine(ws.DataGz, Ds + ".gz");
        Fails(["eval", ws.Mlp, "--data", file], [file, "--data", "is a file"], inputs: [file]);
    }

    [Theory]
    [InlineData("--out")]
    [InlineData("--output-dir")]
    public void Empty_output_path_is_named(string option)
    {
        string[] args = option == "--out"
            ? TrainArgs(ws.DataGz, "")
            : ["run", ws.TwoInputs, "--input", ws.NpyA, "--input", ws.NpyB, "--output-dir", ""];
        Fails(args, [option], code: 2);
    }

    [Fact]
    public void Missing_dataset_folder_is_named()
    {
        var data = Path.Combine(ws.Root, "no-such-folder");
        Fails(["eval", ws.Mlp, "--data", data], [data, "--data"]);
    }

    [Theory]
    [InlineData(true, Ds, "eval")]
    [InlineData(false, Ds, "eval")]
    [InlineData(true, SyntheticFashionMnist.TrainImages, "train")]
    [InlineData(false, SyntheticFashionMnist.TrainLabels, "train")]
    public void Truncated_dataset_file_is_named(bool gzip, string stem, string command)
    {
        var data = DataCopy(gzip);
        var file = DataFile(data, stem, gzip);
        var bytes = File.ReadAllBytes(file);
        File.WriteAllBytes(file, bytes[..(bytes.Length / 2)]);
        var outDir = ws.NewFolder();
        string[] args = command == "eval" ? ["eval", ws.Mlp, "--data", data, "--json"] : TrainArgs(data, Path.Combine(outDir, "m.onnx"), "--json");
        var line = Fails(args, [file], inputs: [data], outputDir: outDir).ErrLines[0];
        Assert.Contains("truncated", line);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Corrupt_dataset_file_is_named(bool gzip)
    {
        var data = DataCopy(gzip);
        var file = DataFile(data, Ds, gzip);
        var bytes = File.ReadAllBytes(file);
        // gzip: damage the compressed stream past its header; raw: break the IDX magic.
        if (gzip) for (int i = 20; i < 60; i++) bytes[i] ^= 0x5a;
        else bytes[0] = 0x42;
        File.WriteAllBytes(file, bytes);
        var line = Fails(["eval", ws.Mlp, "--data", data], [file], inputs: [data]).ErrLines[0];
        Assert.Contains(gzip ? "corrupt" : "not an IDX file", line);
    }

    [Fact]
    public void Dataset_of_another_image_size_does_not_fit_the_model()
    {
        var data = ws.NewFolder("data");
        File.WriteAllBytes(Path.Combine(data, SyntheticFashionMnist.TrainImages), Data.IdxTests.Idx([2, 14, 14], new byte[2 * 196]));
        File.WriteAllBytes(Path.Combine(data, SyntheticFashionMnist.TrainLabels), Data.IdxTests.Idx([2], [0, 1]));
        File.WriteAllBytes(Path.Combine(data, Ds), Data.IdxTests.Idx([2, 14, 14], new byte[2 * 196]));
        File.WriteAllBytes(Path.Combine(data, SyntheticFashionMnist.TestLabels), Data.IdxTests.Idx([2], [0, 1]));
        Fails(["eval", ws.Mlp, "--data", data], ["mlp.onnx", "1x14x14"], inputs: [data, ws.Mlp]);
    }

    // ---- models

    [Theory]
    [InlineData("eval")]
    [InlineData("inspect")]
    [InlineData("bench")]
    [InlineData("run")]
    public void A_file_that_is_not_onnx_is_named(string command)
    {
        var bad = ws.WriteBytes($"notes-{command}.onnx", Encoding.UTF8.GetBytes("these are not the weights you are looking for\n"));
        var outDir = ws.NewFolder();
        string[] args = command switch
        {
            "eval" => ["eval", bad, "--data", ws.DataGz],
            "run" => ["run", bad, "--input", ws.NpyA, "--output-dir", Path.Combine(outDir, "o")],
            _ => [command, bad],
        };
        var line = Fails(args, [Path.GetFileName(bad), "not a valid ONNX file"], inputs: [bad, ws.NpyA], outputDir: outDir, code: 1).ErrLines[0];
        Assert.DoesNotContain("\n", line);
    }

    [Theory]
    [InlineData("eval")]
    [InlineData("inspect")]
    [InlineData("bench")]
    [InlineData("run")]
    public void A_missing_model_file_is_named(string command)
    {
        var missing = Path.Combine(ws.Root, "nothing-here.onnx");
        string[] args = command switch
        {
            "eval" => ["eval", missing, "--data", ws.DataGz],
            "run" => ["run", missing, "--input", ws.NpyA, "--output-dir", ws.NewFolder()],
            _ => [command, missing],
        };
        Fails(args, [missing]);
    }

    [Fact]
    public void An_empty_model_file_is_named()
    {
        var empty = ws.WriteBytes("empty.onnx", []);
        Fails(["inspect", empty], ["empty.onnx"], inputs: [empty]);
    }

    [Fact]
    public void Eval_of_a_model_whose_input_does_not_fit_the_data()
    {
        var line = Fails(["eval", ws.WrongInput, "--data", ws.DataGz], ["wrong-input.onnx"], inputs: [ws.WrongInput, ws.DataGz]).ErrLines[0];
        Assert.Contains("[N,3,32,32]", line);
        Assert.Contains("1x28x28", line);
    }

    [Fact]
    public void Eval_of_a_model_with_another_number_of_classes()
    {
        var five = ws.Save(Models.ModelZoo.Create("mlp", new Models.ZooOptions { Classes = 5 }), "five-classes.onnx");
        Fails(["eval", five, "--data", ws.DataGz], ["five-classes.onnx", "10 classes"], inputs: [five]);
    }

    [Theory]
    [InlineData("eval")]
    [InlineData("bench")]
    [InlineData("run")]
    public void A_model_with_an_unsupported_op_fails_cleanly(string command)
    {
        var x = ws.WriteNpy($"x8-{command}.npy", Tensor.From(new float[16], 2, 8));
        var outDir = ws.NewFolder();
        string[] args = command switch
        {
            "eval" => ["eval", ws.Unsupported, "--data", ws.DataGz],
            "run" => ["run", ws.Unsupported, "--input", x, "--output-dir", Path.Combine(outDir, "o")],
            _ => ["bench", ws.Unsupported, "--batch", "1", "--seconds", "0.01"],
        };
        Fails(args, ["unsupported.onnx", "Mystery"], inputs: [ws.Unsupported, x], outputDir: outDir);
    }

    [Fact]
    public void Bench_of_a_model_with_a_fixed_batch_size()
    {
        var b = new Graph.GraphBuilder("fixed");
        b.Output(b.Relu(b.Input("x", 1, 4)), "y");
        var model = ws.Save(b.Build(), "fixed-batch.onnx");
        var json = Cli.Run("bench", model, "--batch", "1", "--seconds", "0.01", "--warmup", "0", "--json").Json();
        Assert.Equal(1, json.GetProperty("results")[0].GetProperty("batch").GetInt32());
        Fails(["bench", model, "--batch", "1,3", "--seconds", "0.01"], ["fixed-batch.onnx", "--batch"], code: 2);
    }

    [Fact]
    public void Run_with_an_npy_whose_shape_does_not_fit_the_model()
    {
        var npy = ws.WriteNpy("wrong-shape.npy", Tensor.From(new float[15], 3, 5));
        var outDir = ws.NewFolder();
        var line = Fails(["run", ws.TwoInputs, "--input", npy, "--input", ws.NpyB, "--output-dir", Path.Combine(outDir, "o")],
            ["wrong-shape.npy", "'a'"], inputs: [npy, ws.NpyB, ws.TwoInputs], outputDir: outDir).ErrLines[0];
        Assert.Contains("[3,5]", line);
    }

    [Fact]
    public void Run_with_an_npy_of_another_type()
    {
        var npy = ws.WriteNpy("ints.npy", Tensor.From(new int[12], 3, 4));
        Fails(["run", ws.TwoInputs, "--input", npy, "--input", ws.NpyB, "--output-dir", ws.NewFolder()], ["ints.npy", "Float32"]);
    }

    [Fact]
    public void Run_with_an_npy_with_a_corrupt_header()
    {
        var bytes = File.ReadAllBytes(ws.NpyA);
        var text = Encoding.ASCII.GetBytes("{'descr': '<f4', 'fortran_order': Maybe");
        text.CopyTo(bytes, 10);
        var npy = ws.WriteBytes("corrupt-header.npy", bytes);
        var outDir = ws.NewFolder();
        var line = Fails(["run", ws.TwoInputs, "--input", npy, "--input", ws.NpyB, "--output-dir", Path.Combine(outDir, "o")],
            ["corrupt-header.npy", "corrupt .npy header"], inputs: [npy, ws.NpyB], outputDir: outDir).ErrLines[0];
        Assert.Contains("True or False", line);
    }

    [Fact]
    public void Run_with_a_file_that_is_not_npy()
    {
        var npy = ws.WriteBytes("text.npy", Encoding.ASCII.GetBytes("1,2,3\n"));
        Fails(["run", ws.TwoInputs, "--input", npy, "--input", ws.NpyB, "--output-dir", ws.NewFolder()], ["text.npy", "not an .npy file"]);
    }

    [Fact]
    public void Run_with_a_missing_npy()
    {
        var npy = Path.Combine(ws.Root, "absent.npy");
        Fails(["run", ws.TwoInputs, "--input", npy, "--input", ws.NpyB, "--output-dir", ws.NewFolder()], [npy]);
    }

    [Fact]
    public void Run_without_input_names_the_option()
    {
        Fails(["run", ws.TwoInputs, "--output-dir", ws.NewFolder()], ["--input"], code: 2);
    }

    [Fact]
    public void Run_with_too_few_inputs_names_the_missing_one()
    {
        Fails(["run", ws.TwoInputs, "--input", ws.NpyA, "--output-dir", ws.NewFolder()], ["--input", "b"], code: 2);
    }

    [Fact]
    public void Run_with_too_many_inputs()
    {
        Fails(["run", ws.TwoInputs, "--input", ws.NpyA, "--input", ws.NpyB, "--input", ws.NpyB, "--output-dir", ws.NewFolder()],
            ["--input", "2 input(s)"], code: 2);
    }

    [Fact]
    public void Run_with_an_unknown_input_name()
    {
        Fails(["run", ws.TwoInputs, "--input", $"c={ws.NpyA}", "--input", ws.NpyB, "--output-dir", ws.NewFolder()],
            ["--input", "no input 'c'", "a, b"], code: 2);
    }

    [Fact]
    public void Run_with_an_input_given_twice()
    {
        Fails(["run", ws.TwoInputs, "--input", $"a={ws.NpyA}", "--input", $"a={ws.NpyB}", "--output-dir", ws.NewFolder()],
            ["--input", "'a'", "twice"], code: 2);
    }

    // ---- options

    [Fact]
    public void Unknown_model_name_lists_the_choices()
    {
        var outDir = ws.NewFolder();
        Fails(TrainArgs(ws.DataGz, Path.Combine(outDir, "m.onnx"), "--model", "vgg16"), ["--model", "vgg16", "mlp", "lenet5"], outputDir: outDir, code: 2);
    }

    [Theory]
    [InlineData("--epochs", "-1")]
    [InlineData("--batch", "0")]
    [InlineData("--threads", "0")]
    [InlineData("--lr", "-0.1")]
    [InlineData("--limit", "-5")]
    [InlineData("--epochs", "many")]
    [InlineData("--schedule", "sometimes")]
    [InlineData("--optimizer", "rmsprop")]
    public void Bad_train_option_is_named(string option, string value)
    {
        var outDir = ws.NewFolder();
        var args = TrainArgs(ws.DataGz, Path.Combine(outDir, "m.onnx"), option, value);
        Fails(args, [option, value], inputs: [ws.DataGz], outputDir: outDir, code: 2);
    }

    [Theory]
    [InlineData("eval", "--batch", "0")]
    [InlineData("eval", "--threads", "0")]
    [InlineData("inspect", "--batch", "0")]
    [InlineData("bench", "--batch", "0")]
    [InlineData("bench", "--batch", "1,x")]
    [InlineData("bench", "--threads", "0")]
    [InlineData("bench", "--seconds", "-1")]
    [InlineData("run", "--threads", "0")]
    public void Bad_option_is_named(string command, string option, string value)
    {
        string[] args = command switch
        {
            "eval" => ["eval", ws.Mlp, "--data", ws.DataGz],
            "run" => ["run", ws.TwoInputs, "--input", ws.NpyA, "--input", ws.NpyB, "--output-dir", Path.Combine(ws.NewFolder(), "o")],
            _ => [command, ws.Mlp],
        };
        Fails([.. args, option, value], [option], code: 2);
    }

    [Theory]
    [InlineData("train", "--frobnicate")]
    [InlineData("inspect", "--frobnicate")]
    [InlineData("bench", "--frobnicate")]
    [InlineData("frobnicate", "")]
    public void Unknown_option_or_command_is_named(string command, string option)
    {
        string[] args = command switch
        {
            "train" => TrainArgs(ws.DataGz, Path.Combine(ws.NewFolder(), "m.onnx"), option),
            "frobnicate" => ["frobnicate"],
            _ => [command, ws.Mlp, option],
        };
        var line = Fails(args, [option.Length > 0 ? option : command], code: 2).ErrLines[0];
        Assert.Contains("--help", line);
    }

    [Fact]
    public void Missing_model_argument_is_named()
    {
        Fails(["inspect"], ["model"], code: 2);
    }

    // ---- outputs over inputs, and atomic outputs

    [Theory]
    [InlineData(SyntheticFashionMnist.TestImages)]
    [InlineData(SyntheticFashionMnist.TrainLabels)]
    public void Train_refuses_to_write_over_a_dataset_file(string stem)
    {
        var data = DataCopy(gzip: false);
        var target = Path.Combine(data, stem);
        Fails(TrainArgs(data, target), ["--out", target], inputs: [data], outputDir: data, code: 2);
    }

    [Fact]
    public void Train_refuses_out_equal_to_checkpoint()
    {
        var dir = ws.NewFolder();
        var path = Path.Combine(dir, "m.onnx");
        Fails(TrainArgs(ws.DataGz, path, "--checkpoint", path), ["--out", "--checkpoint"], outputDir: dir, code: 2);
    }

    [Fact]
    public void Run_refuses_to_write_an_output_over_an_input()
    {
        // Output "scaled" would go to DIR/scaled.npy, which is the file given as input a.
        var dir = ws.NewFolder();
        var input = Path.Combine(dir, "scaled.npy");
        File.Copy(ws.NpyA, input);
        Fails(["run", ws.TwoInputs, "--input", input, "--input", ws.NpyB, "--output-dir", dir], ["scaled.npy", "--output-dir"],
            inputs: [input, ws.NpyB], outputDir: dir, code: 2);
    }

    [Fact]
    public void Train_out_that_is_a_folder_fails_before_training()
    {
        var dir = ws.NewFolder();
        var target = Path.Combine(dir, "model.onnx");
        Directory.CreateDirectory(target);
        var r = Fails(TrainArgs(ws.DataGz, target), [target], outputDir: dir);
        Assert.DoesNotContain("train:", r.Err);
    }

    [Fact]
    public void Train_out_under_a_file_fails_before_training()
    {
        var dir = ws.NewFolder();
        var file = Path.Combine(dir, "plain.txt");
        File.WriteAllText(file, "x");
        var target = Path.Combine(file, "model.onnx");
        Fails(TrainArgs(ws.DataGz, target), [file], inputs: [file], outputDir: dir);
    }

    [Fact]
    public void Run_output_dir_that_is_a_file_fails_without_writing()
    {
        var dir = ws.NewFolder();
        var file = Path.Combine(dir, "plain.txt");
        File.WriteAllText(file, "x");
        Fails(["run", ws.TwoInputs, "--input", ws.NpyA, "--input", ws.NpyB, "--output-dir", file], [file], inputs: [file], outputDir: dir);
    }

    [Fact]
    public void Run_that_cannot_write_an_output_leaves_no_partial_files()
    {
        // The second output's path is taken by a folder: the command must fail before writing the first one.
        var dir = ws.NewFolder();
        Directory.CreateDirectory(Path.Combine(dir, "sum_total_0.npy"));
        Fails(["run", ws.TwoInputs, "--input", ws.NpyA, "--input", ws.NpyB, "--output-dir", dir], ["sum_total_0.npy"],
            inputs: [ws.NpyA, ws.NpyB], outputDir: dir);
    }

    [Fact]
    public void Failed_run_does_not_create_the_output_dir()
    {
        var parent = ws.NewFolder();
        var npy = ws.WriteNpy("wrong-rank.npy", Tensor.From(new float[4], 4));
        Fails(["run", ws.TwoInputs, "--input", npy, "--input", ws.NpyB, "--output-dir", Path.Combine(parent, "o")], ["wrong-rank.npy"], outputDir: parent);
    }

    [Fact]
    public void Train_into_an_unwritable_folder_fails_before_training_and_leaves_nothing()
    {
        using var locked = LockedFolder.Create(ws.NewFolder());
        if (locked is null) return; // this machine cannot make a folder unwritable for the current user
        var target = Path.Combine(locked.Path, "m.onnx");
        var r = Fails(TrainArgs(ws.DataGz, target), [target], inputs: [ws.DataGz], outputDir: locked.Path);
        Assert.DoesNotContain("train:", r.Err);
    }

    [Fact]
    public void Run_into_an_unwritable_folder_leaves_nothing()
    {
        using var locked = LockedFolder.Create(ws.NewFolder());
        if (locked is null) return; // this machine cannot make a folder unwritable for the current user
        Fails(["run", ws.TwoInputs, "--input", ws.NpyA, "--input", ws.NpyB, "--output-dir", locked.Path], [locked.Path],
            inputs: [ws.NpyA, ws.NpyB], outputDir: locked.Path);
    }

    [Fact]
    public void Successful_commands_do_not_modify_their_inputs()
    {
        var dir = ws.NewFolder();
        var inputs = new[] { ws.DataGz, ws.DataRaw, ws.Mlp, ws.TwoInputs, ws.NpyA, ws.NpyB };
        var before = inputs.Select(Cli.Hashes).ToList();
        Assert.Equal(0, Cli.Run("eval", ws.Mlp, "--data", ws.DataRaw, "--json").Code);
        Assert.Equal(0, Cli.Run("inspect", ws.Mlp, "--json").Code);
        Assert.Equal(0, Cli.Run("bench", ws.TwoInputs, "--batch", "1", "--seconds", "0.01", "--warmup", "0", "--json").Code);
        Assert.Equal(0, Cli.Run("run", ws.TwoInputs, "--input", ws.NpyA, "--input", ws.NpyB, "--output-dir", dir, "--json").Code);
        Assert.Equal(0, Cli.Run(TrainArgs(ws.DataGz, Path.Combine(dir, "m.onnx"), "--json")).Code);
        Assert.Equal(before, inputs.Select(Cli.Hashes).ToList());
    }

    // ---- --verbose

    [Fact]
    public void Verbose_adds_the_stack_trace()
    {
        var bad = ws.WriteBytes("verbose.onnx", Encoding.UTF8.GetBytes("not onnx"));
        var quiet = Cli.Run("inspect", bad);
        quiet.SingleError("verbose.onnx");
        var loud = Cli.Run("inspect", bad, "--verbose");
        Assert.Equal(1, loud.Code);
        Assert.StartsWith(quiet.ErrLines[0], loud.Err);
        Assert.Contains("ModelException", loud.Err);
        Assert.Contains("   at ", loud.Err);
    }

    [Fact]
    public void Verbose_works_before_the_command_too()
    {
        var loud = Cli.Run("--verbose", "eval", ws.Mlp, "--data", Path.Combine(ws.Root, "nowhere"));
        Assert.NotEqual(0, loud.Code);
        Assert.Contains("   at ", loud.Err);
    }

    [Fact]
    public void Json_mode_errors_keep_stdout_empty()
    {
        var r = Cli.Run("eval", ws.WrongInput, "--data", ws.DataGz, "--json");
        r.SingleError();
        Assert.Equal("", r.Out);
    }
}

/// <summary>
/// A folder nobody can create files in: mode 0555, and for root (who ignores modes) the immutable attribute. Null where
/// neither works (e.g. root in a container without the capability).
/// </summary>
internal sealed class LockedFolder : IDisposable
{
    public string Path { get; }
    private readonly bool _immutable;

    private LockedFolder(string path, bool immutable) { Path = path; _immutable = immutable; }

    public static LockedFolder? Create(string path)
    {
        if (OperatingSystem.IsWindows()) return null;
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute
            | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        if (!Writable(path)) return new LockedFolder(path, false);
        if (Chattr("+i", path) && !Writable(path)) return new LockedFolder(path, true);
        Chattr("-i", path);
        return null;
    }

    private static bool Writable(string dir)
    {
        var probe = System.IO.Path.Combine(dir, ".probe");
        try
        {
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }

    private static bool Chattr(string flag, string path)
    {
        try
        {
            using var p = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("chattr", [flag, path])
            { RedirectStandardError = true, RedirectStandardOutput = true });
            if (p is null) return false;
            p.WaitForExit();
            return p.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception) { return false; }
    }

    public void Dispose()
    {
        if (_immutable) Chattr("-i", Path);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }
}
