namespace Prunus.Cli;

/// <summary>Entry point of the prunus command.</summary>
public static class Program
{
    public static int Main(string[] args) => 0;
}
