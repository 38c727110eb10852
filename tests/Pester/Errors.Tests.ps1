#Requires -Version 7.4
# Pester 5 tests of what users see of errors and results: one node/step prefix, readable views, and secrets that stay
# out of the ErrorRecord, Get-Error, Export-Clixml and the verbose and debug streams.
# Run: Invoke-Pester tests/Pester   (after dotnet build)

BeforeDiscovery {
    $script:RepoRoot = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    Import-Module (Join-Path $RepoRoot 'PiCluster.psd1') -Force
    # Every cmdlet that works on nodes, with what it needs besides -Node to run at all.
    # Test-PiCluster reports unreachable nodes in its results instead (tested below).
    $script:NodeCmdlets = @(Get-Command -Module PiCluster -CommandType Cmdlet |
        Where-Object { $_.Parameters.ContainsKey('Node') -and $_.Name -ne 'Test-PiCluster' } |
        ForEach-Object {
            $extra = @{}
            if ($_.Name -eq 'Invoke-PiCommand') { $extra.Command = 'true' }
            if ($_.Name -eq 'Set-PiSwap') { $extra.Disabled = $true }
            if ($_.Parameters.ContainsKey('Confirm')) { $extra.Confirm = $false }
            # Cluster cmdlets run on the cluster's leader: they need a control plane among the nodes.
            # Join-PiWorker takes workers of a cluster file, whose control plane it connects to as well.
            @{ Name = $_.Name; Extra = $extra; ControlPlane = $_.Name -in 'Initialize-PiControlPlane', 'Install-PiPodNetwork', 'Deploy-PiCluster'; Worker = $_.Name -eq 'Join-PiWorker' }
        })
    # Secrets of 1 to 64 characters. ssh prints host names in lower case, so they are lower-case letters and digits;
    # the short ones avoid letters that stand alone in a serialized ErrorRecord.
    $script:Secrets = @(1, 2, 3, 5, 7, 8, 9, 16, 33, 64 | ForEach-Object {
        $random = [System.Random]::new($_)
        $chars = if ($_ -lt 8) { 'qzjkv' } else { 'abcdefghijklmnopqrstuvwxyz0123456789' }
        @{ Length = $_; Secret = -join (1..$_ | ForEach-Object { $chars[$random.Next($chars.Length)] }) }
    })
}

BeforeAll {
    $RepoRoot = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    Import-Module (Join-Path $RepoRoot 'PiCluster.psd1') -Force
    # Nothing listens on port 1 of loopback: the connection is refused at once.
    $Down = New-PiNode -Name down -Address 127.0.0.1 -Port 1
    $DownControlPlane = New-PiNode -Name down -Address 127.0.0.1 -Port 1 -Role ControlPlane

    # Where the secret would show unmasked: as a whole token, or anywhere for one of 8 characters or more.
    function Find-Secret([string] $Secret, [string] $Text) {
        if ($Secret.Length -ge 8) { return $Text.Contains($Secret) }
        $Text -cmatch "(?<![\p{L}\p{N}*])$([regex]::Escape($Secret))(?![\p{L}\p{N}*])"
    }
}

AfterAll {
    Remove-Module PiCluster -ErrorAction SilentlyContinue
}

Describe 'The error of an unreachable node, from <Name>' -ForEach $NodeCmdlets {
    BeforeAll {
        $node = if ($ControlPlane) { $DownControlPlane } elseif ($Worker) {
            $file = Join-Path $TestDrive 'join.yaml'
            Set-Content -Path $file -Value "name: jointest`nkubernetes:`n  version: '1.34'`nnodes:`n  - { name: cp, address: 127.0.0.2, role: control-plane, ssh: { port: 1 } }`n  - { name: down, address: 127.0.0.1, ssh: { port: 1 } }`n"
            Get-PiNode -Path $file -Name down
        } else { $Down }
        $output = & $Name -Node $node @Extra -ErrorVariable failures -ErrorAction SilentlyContinue
        # The cluster file's control plane is down too: its own error is not the one under test.
        if ($Worker) { $failures = @($failures | Where-Object { $_.TargetObject.Name -eq 'down' }) }
    }

    It 'is one NodeUnreachable error with the node as target and no output' {
        # Deploy-PiCluster's summary comes even so: it says the node failed in Connect.
        $summary = @($output | Where-Object { $_.GetType().FullName -eq 'PiCluster.Deploy.DeployResult' })
        $output | Where-Object { $_.GetType().FullName -ne 'PiCluster.Deploy.DeployResult' } | Should -BeNullOrEmpty
        if ($Name -eq 'Deploy-PiCluster') {
            $summary.Count | Should -Be 1
            $summary[0].Succeeded | Should -BeFalse
            $summary[0].Nodes[0].FailedIn | Should -Be 'Connect'
        }
        $failures.Count | Should -Be 1
        $failures[0].FullyQualifiedErrorId | Should -BeLike 'NodeUnreachable,*'
        $failures[0].CategoryInfo.Category | Should -Be 'ConnectionError'
        $failures[0].TargetObject.Name | Should -Be 'down'
    }

    It 'names the node and the step once, in front, and says where ssh went' {
        $message = $failures[0].ToString()
        $message | Should -Match '^down: (Connect|Preflight|Command): cannot reach 127\.0\.0\.1:1 over SSH\.'
        @([regex]::Matches($message, '\bdown\b')).Count | Should -Be 1
        @([regex]::Matches($message, '\b(Connect|Preflight|Command):')).Count | Should -Be 1
        $failures[0].Exception.Message | Should -BeExactly $message
    }
}

Describe 'Test-PiCluster on a cluster it cannot reach' {
    BeforeAll {
        $file = Join-Path $TestDrive 'down.yaml'
        Set-Content -Path $file -Value "name: down`nkubernetes:`n  version: '1.34'`nnodes:`n  - { name: cp1, address: 127.0.0.1, role: control-plane, ssh: { port: 1 } }`n  - { name: w1, address: 127.0.0.2, role: worker, ssh: { port: 1 } }`n"
        $kubeconfig = Join-Path $TestDrive 'no-kubeconfig'
        $results = @(Test-PiCluster -Path $file -KubeconfigPath $kubeconfig -ErrorVariable failures -ErrorAction SilentlyContinue)
    }

    It 'fails every check with the reason, and writes no error record' {
        $failures.Count | Should -Be 0
        $results.Count | Should -Be (8 + 7 + 3)
        $results | Where-Object Passed | Should -BeNullOrEmpty
        $results | ForEach-Object { $_.Cluster | Should -Be 'down' }
        ($results | Where-Object { $_.Node.Name -eq 'w1' -and $_.Check -eq 'Swap' }).Detail | Should -Match 'cannot be evaluated: the node could not be read \(.*cannot reach 127\.0\.0\.2:1 over SSH'
        ($results | Where-Object Check -EQ 'NodeReady' | Select-Object -First 1).Detail | Should -Match '^cannot be evaluated: cp1 could not be read'
        ($results | Where-Object Check -EQ 'ApiReachable').Remedy | Should -Match 'Export-PiKubeconfig'
    }

    It 'shows them in the cluster''s table' {
        ($results | Format-Table | Out-String) | Should -Match 'Cluster: down'
    }

    It 'answers one $false with -Quiet' {
        $quiet = @(Test-PiCluster -Path $file -KubeconfigPath $kubeconfig -Quiet)
        $quiet.Count | Should -Be 1
        $quiet[0] | Should -BeExactly $false
    }

    It 'gives the documented check script the exit code 1' {
        $script = Join-Path $TestDrive 'check.ps1'
        Set-Content -Path $script -Value @"
Import-Module '$(Join-Path $RepoRoot 'PiCluster.psd1')'
`$ok = Test-PiCluster -Path '$file' -KubeconfigPath '$kubeconfig' -Quiet
"all passed: `$ok"
exit [int](-not `$ok)
"@
        # This pwsh again: under `dotnet tool run` the process is dotnet with pwsh.dll.
        $pwsh = (Get-Process -Id $PID).Path
        $pwshArgs = @(if ([IO.Path]::GetFileNameWithoutExtension($pwsh) -eq 'dotnet') { Join-Path $PSHOME 'pwsh.dll' })
        $said = & $pwsh @pwshArgs -NoProfile -File $script | Out-String
        $LASTEXITCODE | Should -Be 1
        $said | Should -Match 'all passed: False'
    }
}

Describe 'Views' {
    BeforeAll {
        $file = Join-Path $TestDrive 'views.yaml'
        Set-Content -Path $file -Value "name: viewtest`nkubernetes:`n  version: '1.34'`nnodes:`n  - name: node01`n    address: 10.0.0.5`n    role: control-plane`n"
    }

    It 'lists a node of a cluster file with the cluster''s name' {
        $text = Get-PiNode -Path $file | Format-List | Out-String
        $text | Should -Match 'Cluster\s+: viewtest'
        $text | Should -Not -Match 'PiCluster\.Clusters'
        $text | Should -Not -Match 'Endpoint'
    }

    It 'lists a node without user or cluster without stray punctuation' {
        $text = New-PiNode -Name n2 -Address 10.0.0.1 | Format-List | Out-String
        $text | Should -Not -Match '@'
        $text | Should -Match 'Cluster\s+:\s*\r?\n'
        (Get-PiNode -Path $file | Select-Object Name, Cluster | Out-String) | Should -Match 'node01\s+viewtest'
    }

    It 'says why a cluster file cannot be read' {
        { Get-PiNode -Path $TestDrive } | Should -Throw -ErrorId 'ClusterFileNotFound,*' -ExpectedMessage "Cannot read the cluster file '*': it is a directory, not a file."
        { Get-PiNode -Path (Join-Path $TestDrive 'none.yaml') } | Should -Throw -ExpectedMessage "*: there is no such file."
    }
}

Describe 'A secret of <Length> characters' -ForEach $Secrets {
    BeforeAll {
        # The secret is the sudo password, and ssh echoes it in its error: the ssh_config names a host after it,
        # once as a whole label and once inside a longer one.
        $config = Join-Path $TestDrive "ssh_config_$Length"
        # (ssh cuts a host name after 100 characters: the longest secrets appear only inside a word.)
        $hostName = if ($Length -le 40) { "$Secret.x$($Secret)y.invalid" } else { "x$($Secret)y.invalid" }
        Set-Content -Path $config -Value "Host *`n  HostName $hostName`n"
        $node = New-PiNode -Name n1 -Address 127.0.0.1 -Port 1 -ConfigFile $config
        $credential = [pscredential]::new('pi', (ConvertTo-SecureString $Secret -AsPlainText -Force))
        $streams = Test-PiNode -Node $node -Credential $credential -Verbose -Debug -ErrorVariable failures -ErrorAction SilentlyContinue 4>&1 5>&1 |
            Out-String
        $record = $failures[0]
    }

    It 'reaches the error at all (through ssh''s message)' {
        $record.FullyQualifiedErrorId | Should -BeLike 'NodeUnreachable,*'
        $record.ToString() | Should -Match 'resolve hostname (\*{8}\.)?x'
    }

    It 'is masked in the message, the exception, its inner exceptions and stack traces' {
        Find-Secret $Secret $record.ToString() | Should -BeFalse
        for ($e = $record.Exception; $e; $e = $e.InnerException) {
            Find-Secret $Secret $e.Message | Should -BeFalse
            Find-Secret $Secret "$($e.StackTrace)" | Should -BeFalse
            Find-Secret $Secret $e.ToString() | Should -BeFalse
            $e.Data.Count | Should -Be 0
        }
    }

    It 'is masked inside a longer word only from 8 characters on' {
        if ($Length -ge 8) { $record.ToString() | Should -Match 'x\*{8}y\.invalid' }
        else { $record.ToString() | Should -Match "x$($Secret)y\.invalid" }
    }

    It 'is masked in Get-Error' {
        Find-Secret $Secret ($record | Get-Error | Out-String -Width 400) | Should -BeFalse
    }

    It 'is masked in Export-Clixml of the error' {
        $xml = Join-Path $TestDrive "error_$Length.xml"
        $record | Export-Clixml -Path $xml -Depth 5
        Find-Secret $Secret (Get-Content -Path $xml -Raw) | Should -BeFalse
    }

    It 'is masked in the verbose and debug streams' {
        Find-Secret $Secret $streams | Should -BeFalse
    }
}

Describe 'ShouldProcess text' {
    It 'masks the password in the command Invoke-PiCommand -WhatIf shows' {
        # -WhatIf writes to the host, not to a stream: read it from a child pwsh.
        # This very PowerShell, also when it runs as a dotnet tool (dotnet pwsh.dll).
        $pwsh = (Get-Process -Id $PID).Path
        $arguments = @()
        if ([IO.Path]::GetFileNameWithoutExtension($pwsh) -eq 'dotnet') { $arguments += [Environment]::GetCommandLineArgs()[0] }
        $manifest = Join-Path $RepoRoot 'PiCluster.psd1'
        $script = "Import-Module '$manifest'; `$c = [pscredential]::new('pi', (ConvertTo-SecureString 'Pw' -AsPlainText -Force)); " +
            "New-PiNode -Name down -Address 127.0.0.1 -Port 1 | Invoke-PiCommand -Command 'echo Pw | sudo -S true' -Credential `$c -WhatIf"
        $text = & $pwsh @arguments -NoProfile -NonInteractive -Command $script | Out-String
        $text | Should -Match 'What if: .*"Run: echo \*{8} \| sudo -S true" on target "down"'
        $text | Should -Not -Match '\bPw\b'
    }
}
