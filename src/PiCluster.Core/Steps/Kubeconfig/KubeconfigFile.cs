using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using PiCluster.ControlPlane;

namespace PiCluster.Steps.Kubeconfig;

/// <summary>
/// A kubeconfig on this machine as it was read, and the one way PiCluster writes it: the new content goes to a temporary
/// file created with mode 0600 beside it (never a copy elsewhere, never readable by others for an instant), is synced
/// and renamed into place; the previous file is kept byte for byte as <c>&lt;file&gt;.picluster-&lt;UTC timestamp&gt;.bak</c>
/// (0600 too), and missing directories are created 0700. A symbolic link is written through to its target. On Windows
/// the modes do not apply: files get the user profile's permissions.
/// </summary>
public sealed class KubeconfigFile
{
    /// <summary>The mode of the file and of its backups: the owner's alone, as kubectl writes it.</summary>
    public const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>The mode of a directory PiCluster creates for it.</summary>
    public const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private static readonly byte[] Bom = { 0xEF, 0xBB, 0xBF };
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private KubeconfigFile(string path, string target, byte[]? bytes, string? text, UnixFileMode? mode, IReadOnlyList<string> missingDirectories)
    {
        Path = path;
        Target = target;
        Bytes = bytes;
        Text = text;
        Mode = mode;
        MissingDirectories = missingDirectories;
    }

    /// <summary>~/.kube/config of the current user (kubectl's default; $KUBECONFIG is not consulted).</summary>
    public static string DefaultPath => System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".kube", "config");

    /// <summary>The path as given (absolute).</summary>
    public string Path { get; }

    /// <summary>The file written: <see cref="Path"/>, or the final target of a symbolic link there.</summary>
    public string Target { get; }

    /// <summary>The file's bytes; null when there is no file.</summary>
    public byte[]? Bytes { get; }

    /// <summary>The file's text without a byte order mark; null when there is no file.</summary>
    public string? Text { get; }

    /// <summary>The file's permission bits (null on Windows, or when there is no file).</summary>
    public UnixFileMode? Mode { get; }

    /// <summary>The directories to create for it, outermost first.</summary>
    public IReadOnlyList<string> MissingDirectories { get; }

    /// <summary>The file exists but others (or the group) may read or write it, or its owner lacks read or write.</summary>
    public bool ModeNeedsFixing => Mode is { } mode && (mode & PermissionBits) != FileMode;

    private const UnixFileMode PermissionBits = (UnixFileMode)0x1FF; // rwxrwxrwx, without setuid, setgid and sticky

    /// <summary>Reads the kubeconfig at <paramref name="path"/> (absolute) as it is now.</summary>
    /// <exception cref="KubeconfigException">The file is not UTF-8, or the path is a directory.</exception>
    public static KubeconfigFile Read(string path)
    {
        var target = path;
        if (new FileInfo(path).LinkTarget is not null)
            target = File.ResolveLinkTarget(path, returnFinalTarget: true)?.FullName ?? path;
        if (Directory.Exists(target))
            throw new KubeconfigException($"{target} is a directory: give the kubeconfig file's path; nothing was changed.");

        var missing = new List<string>();
        for (var dir = System.IO.Path.GetDirectoryName(target); !string.IsNullOrEmpty(dir) && !Directory.Exists(dir); dir = System.IO.Path.GetDirectoryName(dir))
            missing.Insert(0, dir);
        if (!File.Exists(target))
            return new KubeconfigFile(path, target, null, null, null, missing);

        var bytes = File.ReadAllBytes(target);
        var bom = bytes.AsSpan().StartsWith(Bom) ? Bom.Length : 0;
        string text;
        try { text = StrictUtf8.GetString(bytes, bom, bytes.Length - bom); }
        catch (DecoderFallbackException) { throw new KubeconfigException($"{target} is not UTF-8 text, so it is no kubeconfig: fix or move it; nothing was changed."); }
        var mode = OperatingSystem.IsWindows() ? (UnixFileMode?)null : File.GetUnixFileMode(target);
        return new KubeconfigFile(path, target, bytes, text, mode, missing);
    }

    /// <summary>The same file still has the bytes it had when it was read (or still does not exist).</summary>
    public bool IsCurrent()
    {
        var now = Read(Path);
        return now.Target == Target && (now.Bytes is null ? Bytes is null : Bytes is not null && now.Bytes.AsSpan().SequenceEqual(Bytes));
    }

    /// <summary>
    /// Writes <paramref name="text"/> (with the byte order mark the file had) in place of the file as described above.
    /// </summary>
    /// <returns>The backup of the previous file, or null when there was none.</returns>
    public string? Write(string text)
    {
        foreach (var dir in MissingDirectories)
        {
            if (OperatingSystem.IsWindows()) Directory.CreateDirectory(dir);
            else
            {
                Directory.CreateDirectory(dir, DirectoryMode);
                File.SetUnixFileMode(dir, DirectoryMode); // exactly 0700, whatever the umask
            }
        }
        var dirName = System.IO.Path.GetDirectoryName(Target)!;
        var content = (Bytes is not null && Bytes.AsSpan().StartsWith(Bom) ? Bom : Array.Empty<byte>()).Concat(StrictUtf8.GetBytes(text)).ToArray();
        var temp = System.IO.Path.Combine(dirName, $".{System.IO.Path.GetFileName(Target)}.picluster-tmp.{Guid.NewGuid():N}");
        string? backup = null;
        try
        {
            WriteNew(temp, content);
            if (Bytes is not null)
            {
                var stamp = DateTime.UtcNow.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
                backup = $"{Target}.picluster-{stamp}.bak";
                for (var n = 1; File.Exists(backup); n++) backup = $"{Target}.picluster-{stamp}-{n.ToString(CultureInfo.InvariantCulture)}.bak";
                WriteNew(backup, Bytes);
            }
            File.Move(temp, Target, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
        return backup;
    }

    /// <summary>Gives the existing file mode 0600 (nothing on Windows).</summary>
    public void RestrictMode()
    {
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(Target, FileMode);
    }

    // Created exclusively with its final mode, so no other user can open it in between; synced before it is used.
    private static void WriteNew(string path, byte[] content)
    {
        var options = new FileStreamOptions { Mode = System.IO.FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = FileMode;
        using var stream = new FileStream(path, options);
        stream.Write(content);
        stream.Flush(flushToDisk: true);
    }
}
