using PiCluster.Engine;
using PiCluster.Transport;
using Xunit;

namespace PiCluster.Tests.Transport;

public class SshErrorsTests
{
    private static readonly PiNode Node = new("node1", "192.0.2.10", port: 2222);

    [Theory]
    [InlineData("@@@@@@@@@@@\n@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\n@@@@@@@@@@@\nHost key for [192.0.2.10]:2222 has changed and you have requested strict checking.\nHost key verification failed.\n", NodeErrorKind.HostKeyChanged)]
    [InlineData("No ED25519 host key is known for [192.0.2.10]:2222 and you have requested strict checking.\nHost key verification failed.\n", NodeErrorKind.HostKeyUnknown)]
    [InlineData("Host key verification failed.\n", NodeErrorKind.HostKeyUnknown)]
    [InlineData("pi@192.0.2.10: Permission denied (publickey).\n", NodeErrorKind.AuthenticationFailed)]
    [InlineData("pi@192.0.2.10: Permission denied (publickey,password).\n", NodeErrorKind.AuthenticationFailed)]
    [InlineData("ssh: connect to host 192.0.2.10 port 2222: Connection refused\n", NodeErrorKind.NodeUnreachable)]
    [InlineData("ssh: connect to host 192.0.2.10 port 2222: Connection timed out\n", NodeErrorKind.NodeUnreachable)]
    [InlineData("ssh: connect to host 192.0.2.10 port 2222: No route to host\n", NodeErrorKind.NodeUnreachable)]
    [InlineData("ssh: Could not resolve hostname pi-nowhere: Name or service not known\n", NodeErrorKind.NodeUnreachable)]
    [InlineData("kex_exchange_identification: read: Connection reset by peer\n", NodeErrorKind.NodeUnreachable)]
    [InlineData("Control socket connect(/tmp/pc-1/c): No such file or directory\n", NodeErrorKind.NodeUnreachable)]
    [InlineData("something nobody expected\n", NodeErrorKind.NodeUnreachable)]
    public void MapsSshsStderrToAKind(string stderr, NodeErrorKind kind)
    {
        var e = SshErrors.Classify(Node, stderr);
        Assert.Equal(kind, e.Kind);
        Assert.StartsWith("node1: ", e.Message);
        Assert.Contains(" 192.0.2.10:2222 ", e.Message);
        Assert.DoesNotContain("@@@", e.Message);
    }

    [Fact]
    public void MessagesSayWhatToDo()
    {
        Assert.Contains("ssh-keygen -R '[192.0.2.10]:2222'", SshErrors.Classify(Node, "REMOTE HOST IDENTIFICATION HAS CHANGED").Message);
        Assert.Contains("never accepts a changed key", SshErrors.Classify(Node, "REMOTE HOST IDENTIFICATION HAS CHANGED").Message);
        Assert.Contains("-AcceptNewHostKey", SshErrors.Classify(Node, "Host key verification failed.").Message);
        Assert.Contains("fingerprint", SshErrors.Classify(Node, "Host key verification failed.").Message);
    }

    [Fact]
    public void AChangedKeyNamesTheOfferedFingerprintAndTheFileToEdit()
    {
        const string banner = "@@@@@@@@@@@\n@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\n@@@@@@@@@@@\n"
            + "IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!\n"
            + "The fingerprint for the ED25519 key sent by the remote host is\nSHA256:AbC+/9xyz0123456789abcdefghijklmnopqrstuvw.\n"
            + "Please contact your system administrator.\nAdd correct host key in /home/ann/my hosts to get rid of this message.\n"
            + "Offending ED25519 key in /home/ann/my hosts:3\n";
        var e = SshErrors.Classify(Node, banner);
        Assert.Contains("offers ED25519 key SHA256:AbC+/9xyz0123456789abcdefghijklmnopqrstuvw", e.Message);
        Assert.Contains("ssh-keygen -R '[192.0.2.10]:2222' -f '/home/ann/my hosts' ", e.Message);
    }

    [Fact]
    public void TheOfferedKeyIsReadFromVerboseOutput() =>
        Assert.Equal("ED25519 key SHA256:q1w2e3", SshErrors.OfferedKey("debug1: Server host key: ssh-ed25519 SHA256:q1w2e3\ndebug1: load_hostkeys\n"));

    [Fact]
    public void RedactsWhatSshEchoes() =>
        Assert.DoesNotContain("abcdef.0123456789abcdef", SshErrors.Classify(Node, "weird: abcdef.0123456789abcdef", new Redactor()).Message);
}
