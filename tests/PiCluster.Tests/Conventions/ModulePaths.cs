using System;
using System.IO;

namespace PiCluster.Tests.Conventions;

/// <summary>Where the repository and the module layout that `dotnet build` produced are.</summary>
public static class ModulePaths
{
    public static string RepoRoot { get; } = FindRepoRoot();
    public static string Manifest => Path.Combine(RepoRoot, "PiCluster.psd1");
    public static string Bin => Path.Combine(RepoRoot, "bin");
    public static string Dependencies => Path.Combine(Bin, "Dependencies");
    public static string HelpDir => Path.Combine(RepoRoot, "en-US");
    public static string MamlFile => Path.Combine(HelpDir, "PiCluster.dll-Help.xml");
    public static string DocsDir => Path.Combine(HelpDir, "docs");
    public static string FormatFile => Path.Combine(Bin, "PiCluster.format.ps1xml");

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "PiCluster.psd1")) && File.Exists(Path.Combine(dir.FullName, "PiCluster.sln")))
                return dir.FullName;
        throw new InvalidOperationException("PiCluster.psd1 not found above " + AppContext.BaseDirectory);
    }
}
