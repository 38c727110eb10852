using System;
using System.Management.Automation;
using PiCluster.Clusters;
using PiCluster.Engine;

namespace PiCluster.Hosting;

/// <summary>
/// Turns PiCluster failures into ErrorRecords with stable ids: a node failure's id is its <see cref="NodeErrorKind"/>
/// name (e.g. <c>NodeUnreachable</c>) and its target is the node, so <c>$Error[0].TargetObject</c> can be piped on.
/// </summary>
internal static class NodeErrorRecords
{
    /// <summary>The PowerShell category of each kind, as documented on <see cref="NodeErrorKind"/>.</summary>
    public static ErrorCategory CategoryOf(NodeErrorKind kind) => kind switch
    {
        NodeErrorKind.NodeUnreachable => ErrorCategory.ConnectionError,
        NodeErrorKind.HostKeyUnknown => ErrorCategory.SecurityError,
        NodeErrorKind.HostKeyChanged => ErrorCategory.SecurityError,
        NodeErrorKind.SshConfigUnsafe => ErrorCategory.SecurityError,
        NodeErrorKind.AuthenticationFailed => ErrorCategory.AuthenticationError,
        NodeErrorKind.SudoFailed => ErrorCategory.PermissionDenied,
        NodeErrorKind.NodeLocked => ErrorCategory.ResourceBusy,
        NodeErrorKind.StepFailed => ErrorCategory.InvalidResult,
        NodeErrorKind.Timeout => ErrorCategory.OperationTimeout,
        NodeErrorKind.InvalidNodeState => ErrorCategory.InvalidOperation,
        NodeErrorKind.NodeDiskFull => ErrorCategory.ResourceUnavailable,
        NodeErrorKind.KubeadmInitFailed => ErrorCategory.InvalidResult,
        NodeErrorKind.SubnetConflict => ErrorCategory.InvalidArgument,
        NodeErrorKind.ManifestUntrusted => ErrorCategory.SecurityError,
        NodeErrorKind.JoinFailed => ErrorCategory.InvalidResult,
        NodeErrorKind.CaPinRefused => ErrorCategory.SecurityError,
        NodeErrorKind.ApiUnreachable => ErrorCategory.ConnectionError,
        NodeErrorKind.NodeNotReady => ErrorCategory.OperationTimeout,
        _ => ErrorCategory.NotSpecified,
    };

    /// <summary>
    /// The error for one failed node. Its exception is the failure's redacted copy (message "node: step: detail", the
    /// stack trace and inner exceptions redacted, no Data), never the exception the run caught: <c>$Error</c>,
    /// <c>Get-Error</c> and <c>Export-Clixml</c> keep the whole record, not only its message.
    /// </summary>
    public static ErrorRecord ForNode(NodeFailure failure) =>
        new(failure.Exception, failure.Kind.ToString(), CategoryOf(failure.Kind), failure.Node);

    /// <summary>The terminating error for a cluster file that cannot be used; the message lists every file:line:col problem.</summary>
    public static ErrorRecord ForClusterFile(ClusterFileException exception, string path) =>
        new(exception, "ClusterFileInvalid", ErrorCategory.InvalidData, path)
        {
            ErrorDetails = new ErrorDetails(
                $"The cluster file has {exception.Errors.Count + exception.MoreErrors} error(s); no node was contacted.{Environment.NewLine}{exception.Message}"),
        };

    /// <summary>
    /// The terminating error for a cluster file that does not exist or cannot be read: "Cannot read the cluster file
    /// 'path': why." (.NET's own words for a directory are "Access to the path is denied", which misleads).
    /// </summary>
    public static ErrorRecord ForUnreadableFile(Exception exception, string path, string? fullPath = null)
    {
        var why = fullPath is not null && System.IO.Directory.Exists(fullPath) ? "it is a directory, not a file."
            : exception is System.IO.FileNotFoundException or System.IO.DirectoryNotFoundException ? "there is no such file."
            : exception.Message;
        // The message in the exception too: scripts (and Pester's -ExpectedMessage) read $_.Exception.Message.
        return new ErrorRecord(new ItemNotFoundException($"Cannot read the cluster file '{path}': {why}", exception),
            "ClusterFileNotFound", ErrorCategory.ObjectNotFound, path);
    }

    /// <summary>The non-terminating error for a -Name without wildcards that matches no node.</summary>
    public static ErrorRecord ForMissingNode(string name, string path) =>
        new(new ItemNotFoundException($"No node named '{name}' in {path}."), "NodeNotFound", ErrorCategory.ObjectNotFound, name);
}
