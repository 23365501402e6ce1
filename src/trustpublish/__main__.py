from trustpublish.cli import main

main()
