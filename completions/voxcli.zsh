#compdef voxcli

_voxcli_completion() {
  eval $(env _TYPER_COMPLETE_ARGS="${words[1,$CURRENT]}" _VOXCLI_COMPLETE=complete_zsh voxcli)
}

compdef _voxcli_completion voxcli
