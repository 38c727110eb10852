using System.Globalization;
using System.IO;
using System.Text;
using System.Text.RegularExpressions;
using PiCluster.Engine;

namespace PiCluster.Transport;

/// <summary>
/// The wire protocol every transport speaks with a node's <c>bash -s</c> (see Scripts/ssh-bootstrap.sh): what goes in
/// on stdin (the bootstrap, then the framed request) and how the stderr trailer <c>@@picluster-exit CODE BOOTID</c> and
/// a sudo refusal are read back. One place, so the OpenSSH and the SSH.NET transports cannot drift apart.
/// </summary>
internal static class BootstrapProtocol
{
    /// <summary>The remote command each channel runs; the bootstrap and request come on its stdin.</summary>
    public const string RemoteCommandLine = "bash -s";

    private static readonly Regex Trailer = new(@"\n?@@picluster-exit (\d+) ?([0-9a-fA-F-]*)\n?$", RegexOptions.CultureInvariant);
    private static readonly Regex SudoRefused = new(@"@@picluster-sudo-failed (\S+)\n?", RegexOptions.CultureInvariant);
    private static readonly UTF8Encoding Utf8 = new(false);

    /// <summary>
    /// The sudo password as the request carries it (one line on stdin), registered with the redactor; null when none
    /// was given. Refused when it holds a line break, which sudo cannot read.
    /// </summary>
    public static string? SudoPassword(PiNode node, ConnectOptions options, Redactor redactor)
    {
        if (options.SudoPassword is null) return null;
        var password = new System.Net.NetworkCredential("", options.SudoPassword).Password;
        if (password.IndexOfAny(new[] { '\n', '\r', '\0' }) >= 0)
            throw new NodeException(NodeErrorKind.SudoFailed, $"{node.Name}: the sudo password contains a line break, which sudo cannot read.");
        redactor.Add(password);
        return password;
    }

    /// <summary>What stdin carries: the bootstrap, then the mode, the sudo password (if any), the script and its input.</summary>
    public static byte[] Request(RemoteCommand command, string? sudoPassword)
    {
        var script = Utf8.GetBytes(command.Script);
        var input = Utf8.GetBytes(command.Input ?? "");
        var mode = !command.AsRoot ? "user" : sudoPassword is null ? "sudo" : "sudo-password";
        var head = new StringBuilder(RemoteScripts.Compose("ssh-bootstrap"));
        if (head[head.Length - 1] != '\n') head.Append('\n');
        head.Append(mode).Append('\n');
        if (mode == "sudo-password") head.Append(sudoPassword).Append('\n');
        head.Append(script.Length.ToString(CultureInfo.InvariantCulture)).Append('\n');
        using var stream = new MemoryStream();
        var bytes = Utf8.GetBytes(head.ToString());
        stream.Write(bytes, 0, bytes.Length);
        stream.Write(script, 0, script.Length);
        bytes = Utf8.GetBytes(input.Length.ToString(CultureInfo.InvariantCulture) + "\n");
        stream.Write(bytes, 0, bytes.Length);
        stream.Write(input, 0, input.Length);
        return stream.ToArray();
    }

    /// <summary>The parsed end of a command's stderr.</summary>
    internal readonly struct Outcome
    {
        public Outcome(int exitCode, string bootId, string stderr)
        {
            ExitCode = exitCode;
            BootId = bootId;
            Stderr = stderr;
        }

        /// <summary>The script's exit code.</summary>
        public int ExitCode { get; }

        /// <summary>The node's boot id (empty if the node did not say).</summary>
        public string BootId { get; }

        /// <summary>The script's stderr without the trailer.</summary>
        public string Stderr { get; }
    }

    /// <summary>Whether <paramref name="stderr"/> (line ends normalised) ends with the bootstrap's trailer: the command reached the node.</summary>
    public static bool HasTrailer(string stderr) => Trailer.IsMatch(stderr);

    /// <summary>
    /// Reads the trailer from <paramref name="stderr"/> (line ends normalised). False when there is none: the connection
    /// or the transport failed before the bootstrap could report. Throws <see cref="NodeException"/> (SudoFailed) when
    /// the bootstrap reported that sudo refused.
    /// </summary>
    public static bool TryParse(PiNode node, string stderr, out Outcome outcome)
    {
        stderr = stderr.Replace("\r\n", "\n");
        var trailer = Trailer.Match(stderr);
        if (!trailer.Success)
        {
            outcome = default;
            return false;
        }
        var rest = stderr.Substring(0, trailer.Index);
        var refused = SudoRefused.Match(rest);
        if (refused.Success)
        {
            throw new NodeException(NodeErrorKind.SudoFailed, refused.Groups[1].Value == "password-required"
                ? $"{node.Name}: sudo needs a password for {node.User ?? "the SSH user"}. Give it with -Credential (it reaches sudo on stdin only), or allow the user passwordless sudo."
                : $"{node.Name}: sudo refused the given password, or {node.User ?? "the SSH user"} may not use sudo.");
        }
        outcome = new Outcome(int.Parse(trailer.Groups[1].Value, CultureInfo.InvariantCulture), trailer.Groups[2].Value, rest);
        return true;
    }
}
