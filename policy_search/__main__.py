from policy_search.cli import main

main()
